/**
 * The candidates webview panel: holds the PanelState (via the pure reducer), sends it to media/panel.js,
 * and forwards the webview's requests (apply, copy, regenerate…) to the controller. The messages both ways are
 * panelMessages.ts.
 */
import * as vscode from 'vscode';
import { makeNonce, panelHtml } from './panelHtml';
import type { PanelStateMessage, WebviewRequest } from './panelMessages';
import { PanelAction, PanelState, reducePanel } from './panelState';

export const PANEL_VIEW_TYPE = 'diffuseq.candidates';

export interface PanelHandlers {
  apply(item: number, candidate: number): void;
  copy(item: number, candidate: number): void;
  /** Apply the chunks accepted for `item` (its mix) as one edit. */
  applyMix(item: number): void;
  regenerate(): void;
  moreSteps(): void;
  rerun(): void;
  cancel(): void;
}

export class CandidatesPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private _state: PanelState | undefined;
  /** Listeners of the current webview panel (disposed with it). */
  private panelDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly handlers: PanelHandlers,
  ) {}

  get state(): PanelState | undefined {
    return this._state;
  }

  get visible(): boolean {
    return !!this.panel?.visible;
  }

  get isOpen(): boolean {
    return !!this.panel;
  }

  dispatch(action: PanelAction): void {
    const next = reducePanel(this._state, action);
    if (next === this._state) return;
    this._state = next;
    void this.post();
  }

  /**
   * Opens the panel (or reveals it). `focus`: give it keyboard focus. `sourceColumn`: the editor group of the text
   * being rewritten. The panel never covers that text: where it was left in the same group (the user moved it, or
   * opened the document there), it is revealed beside. A covered editor is not visible, and Apply would then edit the
   * document without its editor, where a read-only editor's refusal does not apply.
   */
  show(focus: boolean, sourceColumn?: vscode.ViewColumn): void {
    if (this.panel) {
      const covers = sourceColumn !== undefined && this.panel.viewColumn === sourceColumn;
      this.panel.reveal(covers ? vscode.ViewColumn.Beside : undefined, !focus);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'DiffuSeq Candidates',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: !focus },
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false, enableFindWidget: false },
    );
    this.panel = panel;
    const webview = panel.webview;
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      nonce: makeNonce(),
    });
    this.panelDisposables.push(
      webview.onDidReceiveMessage((m: WebviewRequest) => this.onMessage(m)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.panelDisposables.forEach((d) => d.dispose());
        this.panelDisposables = [];
      }),
    );
  }

  /** Focus the panel's list (keyboard) — used when results arrive. */
  focus(): void {
    this.panel?.reveal(undefined, false);
  }

  close(): void {
    this.panel?.dispose();
  }

  private async post(): Promise<void> {
    if (!this.panel) return;
    try {
      await this.panel.webview.postMessage({ type: 'state', state: this._state } satisfies PanelStateMessage);
    } catch {
      /* disposed meanwhile */
    }
  }

  private onMessage(m: WebviewRequest): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        // A (re)created webview — first open, or shown again after being hidden — gets the state.
        void this.post();
        return;
      case 'focus':
        this._state = reducePanel(this._state, { type: 'focus', item: m.item, candidate: m.candidate });
        return;
      case 'apply':
        this.handlers.apply(m.item, m.candidate);
        return;
      case 'copy':
        this.handlers.copy(m.item, m.candidate);
        return;
      case 'toggleChunk':
        this.dispatch({ type: 'toggleChunk', item: m.item, candidate: m.candidate, hunk: m.hunk });
        return;
      case 'clearMix':
        this.dispatch({ type: 'clearMix', item: m.item });
        return;
      case 'applyMix':
        this.handlers.applyMix(m.item);
        return;
      case 'regenerate':
        this.handlers.regenerate();
        return;
      case 'moreSteps':
        this.handlers.moreSteps();
        return;
      case 'rerun':
        this.handlers.rerun();
        return;
      case 'cancel':
        this.handlers.cancel();
        return;
      case 'close':
        this.close();
        return;
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
