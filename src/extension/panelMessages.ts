/**
 * The messages between the candidates panel (panel.ts, in the extension host) and its webview script
 * (media/panel.js). Types only, no vscode and no DOM: panel.ts imports them, and media/panel.js imports them
 * through JSDoc `import()` types, so that `tsc -p media/jsconfig.json` (in `npm run lint`) holds the script to them.
 */
import type { PanelState } from './panelState';

/** Extension → webview: the whole state to render (undefined before the first run). */
export interface PanelStateMessage {
  type: 'state';
  state: PanelState | undefined;
}

/** Webview → extension: what the user asked for. */
export type WebviewRequest =
  | { type: 'ready' }
  | { type: 'focus'; item: number; candidate: number }
  | { type: 'apply'; item: number; candidate: number }
  | { type: 'copy'; item: number; candidate: number }
  | { type: 'toggleChunk'; item: number; candidate: number; hunk: number }
  | { type: 'clearMix'; item: number }
  | { type: 'applyMix'; item: number }
  | { type: 'regenerate' }
  | { type: 'moreSteps' }
  | { type: 'rerun' }
  | { type: 'cancel' }
  | { type: 'close' };
