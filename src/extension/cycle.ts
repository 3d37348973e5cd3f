/**
 * Next/previous candidate in place: each key press replaces the selection with the next candidate as one edit
 * (one undo step), Esc writes the original back. The ring and its order are cycleCandidates.ts; the candidates come
 * from the panel's run when it rewrote this selection, else from a new run (RewriteController.candidatesForSelection);
 * every write goes through RewriteController.applyTexts, so the apply guard checks it and the panel's target follows.
 *
 * A session lasts while the selection shows what it wrote: typing, undo, a click or cursor move, or another editor
 * ends it (the text stays as it is), and with it the `diffuseq.cycling` context that binds Esc.
 */
import * as vscode from 'vscode';
import type { Task } from '../engine';
import { CycleState, cycleLabel, shownText, startCycle, stepCycle } from './cycleCandidates';
import type { Log } from './log';
import type { RewriteController, RunSpec } from './rewrite';
import type { RewriteTarget } from './rewriteTargets';

export const CYCLING_CONTEXT = 'diffuseq.cycling';

interface Session {
  target: RewriteTarget;
  spec: RunSpec;
  state: CycleState;
}

export class CycleController implements vscode.Disposable {
  private session: Session | undefined;
  /** True while a step runs (sampling or writing): a key press meanwhile is ignored. */
  private busy = false;
  /** True while our edit is being applied: its change event may come before the target has moved. */
  private writing = false;
  private readonly disposables: vscode.Disposable[];
  private statusMessage: vscode.Disposable | undefined;

  constructor(
    private readonly rewrite: RewriteController,
    private readonly log: Log,
  ) {
    this.disposables = [
      // Our own edits leave the range holding what we wrote (applyTexts moves the target with them); any other
      // change of that text — typing, undo — ends the session. Our edit's event can come before or after its promise.
      vscode.workspace.onDidChangeTextDocument((e) => {
        const t = this.session?.target;
        if (
          t &&
          !this.writing &&
          e.contentChanges.length > 0 &&
          e.document.uri.toString() === t.uri.toString() &&
          e.document.getText(t.range) !== t.expected
        )
          this.end();
      }),
      // Our own selection is set through the API (kind Command): only the user's moves end the session.
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const byHand = e.kind === vscode.TextEditorSelectionChangeKind.Keyboard || e.kind === vscode.TextEditorSelectionChangeKind.Mouse;
        if (this.session && byHand) this.end();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.end()),
    ];
  }

  /** The state of the running session (tests). */
  get current(): CycleState | undefined {
    return this.session?.state;
  }

  /** Next (+1) or previous (−1) candidate; without a session, rewrites the selection first (`task`). */
  async step(delta: 1 | -1, task: Task = 'paraphrase'): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      return await this.stepNow(delta, task);
    } finally {
      this.busy = false;
    }
  }

  private async stepNow(delta: 1 | -1, task: Task): Promise<boolean> {
    let s = this.session;
    if (!s) {
      const got = await this.rewrite.candidatesForSelection(task);
      if (!got) return false;
      const state = startCycle(got.target.original, got.candidates, got.mbrIndex, got.target.expected);
      if (state.ring.length === 0) {
        void vscode.window.showInformationMessage('DiffuSeq: no candidate differs from the selected text.');
        return false;
      }
      s = this.session = { target: got.target, spec: got.spec, state };
      void vscode.commands.executeCommand('setContext', CYCLING_CONTEXT, true);
    }
    return this.show(s, stepCycle(s.state, delta));
  }

  /** Esc: the original text back (one more undo step), and the session ends. */
  async restoreOriginal(): Promise<boolean> {
    const s = this.session;
    if (!s) return false;
    const ok = s.state.at < 0 || (await this.show(s, { ...s.state, at: -1 }));
    this.end();
    return ok;
  }

  private async show(s: Session, next: CycleState): Promise<boolean> {
    this.writing = true;
    let ok: boolean;
    try {
      ok = await this.rewrite.applyTexts([s.target], [shownText(next)], s.spec);
    } finally {
      this.writing = false;
    }
    if (!ok) {
      this.end();
      return false;
    }
    s.state = next;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === s.target.uri.toString());
    if (editor) editor.selection = new vscode.Selection(s.target.range.start, s.target.range.end);
    this.statusMessage?.dispose();
    this.statusMessage = vscode.window.setStatusBarMessage(
      next.at < 0 ? 'DiffuSeq: original restored' : `DiffuSeq: candidate ${cycleLabel(next)} — Alt+. next, Alt+, previous, Esc original`,
      8000,
    );
    this.log.info(`in-place candidate ${cycleLabel(next)}`);
    return true;
  }

  end(): void {
    if (!this.session) return;
    this.session = undefined;
    void vscode.commands.executeCommand('setContext', CYCLING_CONTEXT, false);
  }

  dispose(): void {
    this.end();
    this.statusMessage?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
