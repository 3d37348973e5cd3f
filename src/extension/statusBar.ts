/**
 * The status bar item of the model: its text (the pure statusView.ts decides it) and its tooltip, shown from the
 * facts extension.ts gathers (the active model folder, the engine's loaded model, the last failed load, a running rewrite).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from './engineProtocol';
import { readManifestSummary } from './models';
import { statusView } from './statusView';

export interface StatusBarFacts {
  /** The active model folder, if any. */
  dir: string | undefined;
  /** The model the engine process has loaded, if any, and that process's id. */
  engineModel: ModelInfo | undefined;
  enginePid: number | undefined;
  loadError: { dir: string; message: string } | undefined;
  busy: boolean;
  /** 0..1 while busy. */
  fraction?: number;
}

export class ModelStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('diffuseq.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'DiffuSeq model';
    this.item.command = 'diffuseq.selectModel';
  }

  show(f: StatusBarFacts): void {
    const { dir, engineModel } = f;
    // The engine's model counts only while it is the active one (statusView.ts).
    const activeName = dir
      ? engineModel && path.resolve(engineModel.dir) === path.resolve(dir)
        ? engineModel.name
        : (readManifestSummary(dir)?.name ?? path.basename(dir))
      : undefined;
    const view = statusView({
      activeDir: dir,
      activeName,
      loaded: engineModel,
      loadError: f.loadError,
      busy: f.busy,
      fraction: f.fraction,
    });
    const loaded = view.loaded ? engineModel : undefined;
    const name = activeName;
    this.item.text = view.text;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**DiffuSeq Rewrite**\n\n`);
    md.appendMarkdown(name ? `Model: \`${name}\`${dir ? ` (${dir})` : ''}\n\n` : 'No model package found.\n\n');
    if (view.problem) md.appendMarkdown(`It could not be loaded: ${view.problem}\n\n`);
    md.appendMarkdown(
      loaded
        ? `Execution provider: \`${loaded.executionProvider}\` (engine pid ${f.enginePid})\n\n`
        : 'Engine not started yet (it starts on the first rewrite).\n\n',
    );
    if (loaded?.note) md.appendMarkdown(`${loaded.note}\n\n`);
    md.appendMarkdown('Click to select another model.');
    this.item.tooltip = md;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
