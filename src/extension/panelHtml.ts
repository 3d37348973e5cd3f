/**
 * The candidates panel's HTML shell. Pure (strings in, string out) so the unit tests can check the
 * Content-Security-Policy: nothing but the extension's media/ files and one nonce'd script may load.
 */
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

export interface PanelHtmlInput {
  /** webview.cspSource */
  cspSource: string;
  /** webview.asWebviewUri(media/panel.js) */
  scriptUri: string;
  /** webview.asWebviewUri(media/panel.css) */
  styleUri: string;
  nonce: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function panelHtml(i: PanelHtmlInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(i.cspSource, i.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(i.styleUri)}">
<title>DiffuSeq Candidates</title>
</head>
<body>
<main id="app" aria-label="DiffuSeq rewrite candidates">
  <header class="header">
    <h1 id="title">DiffuSeq</h1>
    <p id="meta" class="meta"></p>
  </header>
  <div id="progress" class="progress" role="progressbar" aria-label="Rewrite progress" aria-valuemin="0" aria-valuemax="100" hidden>
    <div id="progress-bar" class="progress-bar"></div>
  </div>
  <p id="status" class="status" role="status" aria-live="polite"></p>
  <div id="toolbar" class="toolbar" role="toolbar" aria-label="Run actions">
    <button id="regenerate" type="button" title="Sample new candidates with a new random seed">Regenerate</button>
    <button id="more-steps" type="button" title="Run again with twice the solver steps (same seed)">More steps</button>
    <button id="rerun" type="button" hidden title="Rewrite the current text again">Re-run</button>
    <button id="cancel" type="button" hidden>Cancel</button>
  </div>
  <div id="items"></div>
  <p class="hint" id="hint">↑/↓ choose · Enter apply · 1–9 take change N into the mix · Shift+Enter apply the mix · Esc close</p>
</main>
<script nonce="${esc(i.nonce)}" src="${esc(i.scriptUri)}"></script>
</body>
</html>`;
}
