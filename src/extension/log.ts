/** The "DiffuSeq" output channel (a LogOutputChannel: timestamps and levels come from VS Code). */
import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('DiffuSeq', { log: true });
  }

  info(line: string): void {
    this.channel.info(line);
  }

  warn(line: string): void {
    this.channel.warn(line);
  }

  error(line: string, e?: unknown): void {
    this.channel.error(line);
    if (e instanceof Error && e.stack) this.channel.error(e.stack);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
