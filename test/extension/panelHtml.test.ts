/** The webview shell and assets: strict CSP, nonce'd script only, no remote resources, no markup from text. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contentSecurityPolicy, makeNonce, panelHtml } from '../../src/extension/panelHtml';

const root = path.resolve(__dirname, '..', '..', '..');
const media = (f: string) => fs.readFileSync(path.join(root, 'media', f), 'utf8');

describe('extension/panelHtml + media', () => {
  const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
  const html = panelHtml({
    cspSource,
    scriptUri: `${cspSource}/ext/media/panel.js`,
    styleUri: `${cspSource}/ext/media/panel.css`,
    nonce: 'abc123',
  });

  it('CSP: default-src none, script only by nonce, styles only from the webview source', () => {
    const csp = contentSecurityPolicy(cspSource, 'abc123');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
    assert.match(csp, new RegExp(`style-src ${cspSource.replace(/[.+]/g, '\\$&')}(;|$)`));
    assert.ok(!/unsafe-inline|unsafe-eval|\*/.test(csp));
    assert.ok(html.includes(`content="${csp.replace(/'/g, "'")}"`));
  });

  it('one script, carrying the nonce; no inline styles or handlers; no remote URLs', () => {
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, /<script nonce="abc123" src="/);
    assert.ok(!/ on[a-z]+=|style=/.test(html));
    for (const text of [html.replace(new RegExp(cspSource.replace(/[.+]/g, '\\$&'), 'g'), ''), media('panel.js'), media('panel.css')]) {
      assert.ok(!/https?:\/\//.test(text), 'no remote resources');
    }
  });

  it('nonces are fresh and alphanumeric', () => {
    const a = makeNonce();
    assert.match(a, /^[A-Za-z0-9]{16,}$/);
    assert.notEqual(a, makeNonce());
  });

  it('panel.js never turns text into markup and persists with setState', () => {
    const js = media('panel.js');
    assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.test(js));
    assert.match(js, /getState\(\)/);
    assert.match(js, /setState\(/);
    for (const key of ['ArrowDown', 'ArrowUp', 'Enter', 'Escape']) assert.ok(js.includes(`'${key}'`), key);
    assert.match(js, /role', 'listbox'/);
    assert.match(js, /role', 'option'/);
    assert.match(js, /aria-selected/);
  });

  it('panel.css uses theme variables, no hard-coded colours', () => {
    const css = media('panel.css');
    assert.ok(css.includes('var(--vscode-'));
    assert.ok(!/#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(/.test(css), 'colours come from the theme');
  });
});
