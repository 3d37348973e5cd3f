/**
 * `npm run test:e2e`: the extension as a person uses it. The packaged .vsix is installed into code-server
 * (`code-server --install-extension`), code-server runs on 127.0.0.1 with auth none, and headless chromium
 * (Debian's, driven by playwright-core) opens a file, selects a sentence, right-clicks → "Paraphrase
 * Selection", waits for the candidates panel, screenshots it, applies a candidate with the keyboard, reads
 * the text back from the editor (and from disk after saving), undoes once, hides/restores the panel and
 * closes it with Esc. Then where people write: a Markdown file with a link and inline code — Ctrl+. shows the
 * lightbulb's "Paraphrase selection", which fills the panel; a chunk of one candidate (click) and of another (key 1)
 * make a mix that Shift+Enter applies as one edit (one Ctrl+Z undoes it); a TypeScript file with a `//` comment block
 * — Alt+. puts candidates in place inside the markers, Esc brings the original back. Screenshots:
 * test-results/e2e-*.png; with DIFFUSEQ_DOCS_SCREENSHOTS=1 also docs/images/panel-{light,dark,high-contrast}.png,
 * workbench-{light,dark}.png, lightbulb.png, panel-partial-accept.png and cycle-comment.png.
 *
 * Needs: `npm run package` (diffuseq-rewrite.vsix), code-server (install-code-server.sh), chromium.
 * Model: the .vsix's models/default; when it has none, diffuseq.modelPath is set to $DIFFUSEQ_TEST_MODEL,
 * else the repository's models/default, else models/_dev-random.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { listZip } from '../zip';
import {
  findCodeServer,
  findFiles,
  installVsix,
  launchBrowser,
  makeProfile,
  REPO_ROOT,
  skipWithoutBrowserStack,
  startCodeServer,
} from './codeServer';

const VSIX = process.env.DIFFUSEQ_VSIX || path.join(REPO_ROOT, 'diffuseq-rewrite.vsix');
const RESULTS = path.join(REPO_ROOT, 'test-results');
const DOCS_IMAGES = path.join(REPO_ROOT, 'docs', 'images');
const SENTENCE = 'The committee postponed the decision because several members were unable to attend the meeting.';
const LINES = ['# Meeting notes', '', SENTENCE, '', 'This line stays as it is.'];
const GUIDE_SENTENCE = 'Read [the install guide](https://example.com/docs/install.html) and run `npm ci` before the next release ships.';
const GUIDE = ['# Guide', '', GUIDE_SENTENCE, ''];
const CODE = [
  'export function reindex(): void {',
  '  // The cache is invalidated whenever the',
  '  // configuration changes, which forces a',
  '  // full rebuild of the whole index.',
  '  rebuild();',
  '}',
  '',
];

const timings: Array<[string, number]> = [];
async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  process.stdout.write(`  ${name} … `);
  try {
    const v = await f();
    const ms = Date.now() - t0;
    timings.push([name, ms]);
    process.stdout.write(`ok (${ms} ms)\n`);
    return v;
  } catch (e) {
    process.stdout.write('FAILED\n');
    throw e;
  }
}

function modelForTests(): string | undefined {
  const c = [process.env.DIFFUSEQ_TEST_MODEL, path.join(REPO_ROOT, 'models', 'default'), path.join(REPO_ROOT, 'models', '_dev-random')];
  return c.find((d): d is string => !!d && fs.existsSync(path.join(d, 'manifest.json')));
}

/** The editor's lines as rendered (Monaco renders spaces as U+00A0); long lines may be cut at the viewport. */
async function editorLines(page: Page): Promise<string[]> {
  const text = await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ').split('\n');
}

/** One line of the editor, read the way a person would: go to it, select it, copy, read the clipboard. */
async function copyLine(page: Page, line: number): Promise<string> {
  await page.evaluate(() => navigator.clipboard.writeText(''));
  await page.keyboard.press('Control+G');
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.press('Control+C');
  let text = '';
  await untilTrue('clipboard', async () => (text = await page.evaluate(() => navigator.clipboard.readText())) !== '', 5000);
  await page.keyboard.press('End');
  return text;
}

/** Preferences: Color Theme (Ctrl+K Ctrl+T), as a person would; `theme` is the picker's label. */
async function setTheme(page: Page, theme: string): Promise<void> {
  await page
    .locator('.editor-instance .monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } });
  const focused = page.locator('.quick-input-list .monaco-list-row.focused');
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  // The theme picker lists the installed themes; wait for it before typing into its filter.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Solarized Light' }).first().waitFor();
  await page.keyboard.type(theme);
  await page.waitForTimeout(300);
  await untilTrue(
    `theme row ${theme} focused`,
    async () =>
      (
        (await focused
          .first()
          .innerText()
          .catch(() => '')) ?? ''
      ).startsWith(theme),
    10_000,
  );
  await page.keyboard.press('Enter');
}

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

async function untilTrue(what: string, f: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  if (skipWithoutBrowserStack('test:e2e')) return;
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` first`);
  fs.mkdirSync(RESULTS, { recursive: true });
  const tAll = Date.now();
  const bin = findCodeServer();
  const vsixHasModel = listZip(VSIX).some((e) => e.name === 'extension/models/default/manifest.json');
  const model = vsixHasModel ? undefined : modelForTests();
  if (!vsixHasModel && !model) throw new Error('the .vsix has no models/default and no test model was found (set DIFFUSEQ_TEST_MODEL)');
  console.log(
    `e2e: ${path.relative(REPO_ROOT, VSIX)} (${(fs.statSync(VSIX).size / 1048576).toFixed(1)} MiB), code-server ${bin}, model ${model ?? 'bundled models/default'}`,
  );

  const settings = (theme: string) => ({
    'workbench.colorTheme': theme,
    'editor.wordWrap': 'off',
    '[markdown]': { 'editor.wordWrap': 'off' },
    ...(model ? { 'diffuseq.modelPath': model } : {}),
  });
  const profile = makeProfile(settings('Default Light Modern'), 'dsq-e2e-');
  const workspace = path.join(profile.root, 'workspace');
  fs.mkdirSync(workspace);
  const file = path.join(workspace, 'notes.md');
  fs.writeFileSync(file, LINES.join('\n') + '\n');
  fs.writeFileSync(path.join(workspace, 'guide.md'), GUIDE.join('\n'));
  fs.writeFileSync(path.join(workspace, 'cache.ts'), CODE.join('\n'));

  const install = await step('install the .vsix into code-server', () => installVsix(bin, VSIX, profile));
  assert.match(install.output, /successfully installed/i);
  const installed = fs.readdirSync(profile.extensionsDir).filter((d) => d.startsWith('diffuseq-rewrite.diffuseq-rewrite-'));
  assert.equal(installed.length, 1, 'extension folder after install');

  const server = await step('start code-server (127.0.0.1, auth none)', () => startCodeServer(bin, profile));
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);

    await step('open the workbench', async () => {
      await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`);
      await page.locator('.monaco-workbench .part.editor').waitFor();
      await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor();
    });

    await step('open notes.md', async () => {
      await page.locator('.monaco-list-row', { hasText: 'notes.md' }).first().click();
      await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
      await untilTrue('file shown', async () => (await editorLines(page)).some((l) => SENTENCE.startsWith(l) && l.length > 20));
    });

    await step('select the sentence (line 3)', async () => {
      await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+G');
      await page.keyboard.type('3');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await page.locator('.editor-instance .monaco-editor .selected-text').first().waitFor();
    });

    const tRun = Date.now();
    await step('right-click → Paraphrase Selection', async () => {
      const sel = page.locator('.editor-instance .monaco-editor .view-overlays .selected-text');
      let box: { x: number; y: number; width: number; height: number } | null = null;
      await untilTrue('selection rendered', async () => {
        for (const b of await Promise.all((await sel.all()).map((l) => l.boundingBox()))) if (b && b.width > 20) box = b;
        return box !== null;
      });
      const b = box!;
      const item = page.locator('.monaco-menu .action-item', { hasText: 'Paraphrase Selection' });
      // Right after start-up the extension's menu contributions may not be registered yet: reopen the menu until they are.
      await untilTrue('"Paraphrase Selection" in the context menu', async () => {
        await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2, { button: 'right' });
        await page.locator('.monaco-menu').first().waitFor();
        await page.waitForTimeout(300);
        if ((await item.count()) > 0) return true;
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1000);
        return false;
      });
      await page.screenshot({ path: path.join(RESULTS, 'e2e-context-menu.png') });
      await item.first().click();
    });

    const frame = panelFrame(page);
    const candidates = await step('the panel shows candidates', async () => {
      await frame.locator('.candidate').first().waitFor({ timeout: 180_000 });
      await untilTrue('run done', async () => !(await frame.locator('#regenerate').isDisabled()));
      const n = await frame.locator('.candidate').count();
      assert.ok(n >= 1);
      assert.equal(await frame.locator('.candidate.mbr').count(), 1, 'one MBR choice marked');
      assert.match(await frame.locator('.candidate.mbr .badge').first().innerText(), /MBR choice/);
      assert.match(await frame.locator('.diversity').first().innerText(), /self-BLEU/);
      assert.match(await frame.locator('.original .text').innerText(), /committee postponed/);
      return n;
    });
    const runMs = Date.now() - tRun;

    const panel = page.locator('iframe.webview.ready');
    await page.waitForTimeout(300);
    await panel.screenshot({ path: path.join(RESULTS, 'e2e-panel.png') });
    if (process.env.DIFFUSEQ_DOCS_SCREENSHOTS === '1') {
      fs.mkdirSync(DOCS_IMAGES, { recursive: true });
      // The docs show the panel from its top (title, settings, toolbar, original, diversity).
      await frame.locator('html').evaluate((el) => el.ownerDocument.defaultView?.scrollTo(0, 0));
      await page.waitForTimeout(200);
      await panel.screenshot({ path: path.join(DOCS_IMAGES, 'panel-light.png') });
      await page.screenshot({ path: path.join(DOCS_IMAGES, 'workbench-light.png') });
      await step('switch to the dark theme and screenshot', async () => {
        await setTheme(page, 'Dark Modern');
        await untilTrue('dark theme applied', async () => (await page.locator('.monaco-workbench.vs-dark').count()) > 0, 20_000);
        await untilTrue('webview dark', async () => (await frame.locator('body.vscode-dark').count()) > 0, 20_000);
        await page.waitForTimeout(500);
        await panel.screenshot({ path: path.join(DOCS_IMAGES, 'panel-dark.png') });
        await page.screenshot({ path: path.join(DOCS_IMAGES, 'workbench-dark.png') });
        await setTheme(page, 'Dark High Contrast');
        await untilTrue('webview high contrast', async () => (await frame.locator('body.vscode-high-contrast').count()) > 0, 20_000);
        await page.waitForTimeout(500);
        await panel.screenshot({ path: path.join(DOCS_IMAGES, 'panel-high-contrast.png') });
        await setTheme(page, 'Light Modern');
        await untilTrue('light again', async () => (await frame.locator('body.vscode-light').count()) > 0, 20_000);
      });
    }

    const chosen = await step('keyboard: focus the list, ↓, Enter applies the focused candidate', async () => {
      await frame.locator('.candidates').first().focus();
      await page.keyboard.press('ArrowDown');
      const label = (await frame.locator('.candidate.focused').getAttribute('aria-label')) ?? '';
      const text = label.slice(label.indexOf(': ') + 2);
      assert.ok(text, `no text in ${label}`);
      await page.keyboard.press('Enter');
      await frame.locator('.candidate.applied').first().waitFor();
      return text;
    });

    await step('read the applied text back from the editor (copy line 3), and from disk after saving', async () => {
      await page
        .locator('.editor-instance .monaco-editor .view-lines')
        .first()
        .click({ position: { x: 5, y: 5 } });
      await untilTrue('line 3 is the chosen candidate', async () => (await copyLine(page, 3)) === chosen, 10_000);
      await page.keyboard.press('Control+S');
      await untilTrue('saved', async () => fs.readFileSync(file, 'utf8').split('\n')[2] === chosen, 10_000);
      assert.deepEqual(
        fs.readFileSync(file, 'utf8').split('\n'),
        [LINES[0], LINES[1], chosen, LINES[3], LINES[4], ''],
        'only the selected range changed',
      );
    });
    await page.screenshot({ path: path.join(RESULTS, 'e2e-applied.png') });

    await step('one Ctrl+Z restores the original sentence', async () => {
      await page.keyboard.press('Control+Z');
      await untilTrue('undo', async () => (await copyLine(page, 3)) === SENTENCE, 10_000);
    });

    await step('hide the panel and show it again: its state is restored', async () => {
      const tab = page.locator('.tab', { hasText: 'DiffuSeq Candidates' });
      await tab.click();
      // With the panel's editor group active, opening notes.md from the Explorer puts it in front of the panel.
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.md' }).first().click();
      await untilTrue(
        'panel hidden',
        async () => (await page.locator('iframe.webview.ready').count()) === 0 || !(await panel.isVisible()),
        10_000,
      );
      await tab.click();
      await frame.locator('.candidate').first().waitFor();
      assert.equal(await frame.locator('.candidate').count(), candidates);
      assert.equal(await frame.locator('.candidate.applied').count(), 1, 'the applied mark survived');
    });

    await step('Copy puts a candidate on the clipboard', async () => {
      await page.evaluate(() => navigator.clipboard.writeText(''));
      const card = frame.locator('.candidate').nth(1);
      const label = (await card.getAttribute('aria-label')) ?? '';
      await card.locator('button.copy').click();
      let clip = '';
      await untilTrue('clipboard', async () => (clip = await page.evaluate(() => navigator.clipboard.readText())) !== '', 10_000);
      assert.equal(clip, label.slice(label.indexOf(': ') + 2));
    });

    await step('Regenerate samples again with a new seed; More steps doubles the steps', async () => {
      const meta = frame.locator('#meta');
      const seedOf = async () => /seed (\d+)/.exec(await meta.innerText())?.[1];
      const seed = await seedOf();
      const settled = async () =>
        !(await frame.locator('#regenerate').isDisabled()) && (await frame.locator('.candidate').count()) === candidates;
      await frame.locator('#regenerate').click();
      await untilTrue('new seed', async () => (await seedOf()) !== seed, 30_000);
      await untilTrue('regenerated', settled, 120_000);
      const seed2 = await seedOf();
      await frame.locator('#more-steps').click();
      await untilTrue('20 steps', async () => /20 steps/.test(await meta.innerText()), 30_000);
      await untilTrue('sampled with more steps', settled, 120_000);
      assert.equal(await seedOf(), seed2, 'More steps keeps the seed');
    });

    await step('Esc closes the panel', async () => {
      await frame.locator('.candidates').first().focus();
      await page.keyboard.press('Escape');
      await untilTrue('panel closed', async () => (await page.locator('.tab', { hasText: 'DiffuSeq Candidates' }).count()) === 0, 10_000);
    });

    const docsShots = process.env.DIFFUSEQ_DOCS_SCREENSHOTS === '1';
    const shot = async (name: string, target: Page | ReturnType<Page['locator']> = page) => {
      await target.screenshot({ path: path.join(RESULTS, `e2e-${name}.png`) });
      if (docsShots) await target.screenshot({ path: path.join(DOCS_IMAGES, `${name}.png`) });
    };
    // By now the workbench has two editor groups (the panel opened beside): read the active one.
    const activeView = () => page.locator('.editor-group-container.active .editor-instance .monaco-editor .view-lines').first();
    const activeLines = async () =>
      (
        await activeView()
          .innerText()
          .catch(() => '')
      )
        .replace(/\u00a0/g, ' ')
        .split('\n');
    const openFile = async (name: string, firstLine: string) => {
      // Quick Open (Ctrl+P): the file opens with the keyboard focus in its editor, at its top.
      await page.keyboard.press('Control+P');
      await page.keyboard.type(name);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.keyboard.press('Control+Home');
      await untilTrue(`${name} shown`, async () => (await activeLines()).some((l) => l.startsWith(firstLine)), 20_000);
    };
    const selectLineText = async (line: number) => {
      await page.keyboard.press('Control+G');
      await page.keyboard.type(String(line));
      await page.keyboard.press('Enter');
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await page.locator('.editor-instance .monaco-editor .selected-text').first().waitFor();
    };

    await step('Markdown with a link and inline code: Ctrl+. shows the lightbulb actions; "Paraphrase selection" runs', async () => {
      await openFile('guide.md', '# Guide');
      await selectLineText(3);
      const action = page.locator('.action-widget .monaco-list-row', { hasText: 'Paraphrase selection' });
      // The provider registers after start-up (onStartupFinished): ask again until it answers.
      await untilTrue('"Paraphrase selection" in the Code Action menu', async () => {
        await page.keyboard.press('Control+.');
        await page.waitForTimeout(700);
        if ((await action.count()) > 0) return true;
        await page.keyboard.press('Escape');
        return false;
      });
      assert.equal(await page.locator('.action-widget .monaco-list-row', { hasText: 'Simplify selection' }).count(), 1);
      await shot('lightbulb');
      // Choose it with the keyboard (the widget blocks the pointer until the mouse moves).
      const focusedRow = page.locator('.action-widget .monaco-list-row.focused');
      await untilTrue(
        '"Paraphrase selection" focused',
        async () => {
          if (/Paraphrase selection/.test((await focusedRow.innerText().catch(() => '')) ?? '')) return true;
          await page.keyboard.press('ArrowDown');
          return false;
        },
        10_000,
      );
      await page.keyboard.press('Enter');
      await untilTrue(
        'candidates for the guide sentence',
        async () =>
          /install guide/.test(
            await frame
              .locator('.original .text')
              .innerText()
              .catch(() => ''),
          ),
        30_000,
      );
      await untilTrue(
        'run done',
        async () => (await frame.locator('.candidate').count()) > 0 && !(await frame.locator('#regenerate').isDisabled()),
        180_000,
      );
    });

    await step(
      'partial accept: a chunk of one candidate (click) and of another (key 1), Shift+Enter applies the mix as one edit',
      async () => {
        const cards = frame.locator('.candidate');
        const first = cards.nth(0).locator('.chunk').first();
        await first.click();
        await frame.locator('.mix').first().waitFor();
        assert.equal(await first.getAttribute('aria-pressed'), 'true');
        if ((await cards.count()) > 1) {
          await frame.locator('.candidates').first().focus();
          await page.keyboard.press('ArrowDown');
          if ((await frame.locator('.candidate.focused .chunk').count()) > 0) {
            await page.keyboard.press('1');
            await untilTrue(
              'key 1 took the focused candidate’s first chunk',
              async () => (await frame.locator('.candidate.focused .chunk').first().getAttribute('aria-pressed')) === 'true',
              10_000,
            );
          }
        }
        const mix = await frame.locator('.mix-text').innerText();
        assert.notEqual(mix, GUIDE_SENTENCE);
        await frame.locator('.mix').first().scrollIntoViewIfNeeded();
        await shot('panel-partial-accept', panel);
        await frame.locator('.candidates').first().focus();
        await page.keyboard.press('Shift+Enter');
        await frame.locator('.mix.applied').first().waitFor();
        await page.locator('.tab', { hasText: 'guide.md' }).first().click();
        await activeView().click({ position: { x: 5, y: 5 } });
        await untilTrue('line 3 is the mix', async () => (await copyLine(page, 3)) === mix, 10_000);
        await page.keyboard.press('Control+Z');
        await untilTrue('one undo restores the sentence', async () => (await copyLine(page, 3)) === GUIDE_SENTENCE, 10_000);
      },
    );

    await step(
      'a // comment block in TypeScript: Alt+. puts candidates in place inside the markers, Alt+. the next, Esc the original',
      async () => {
        await page.locator('.tab', { hasText: 'DiffuSeq Candidates' }).hover();
        await page.locator('.tab', { hasText: 'DiffuSeq Candidates' }).locator('.action-label.codicon-close').first().click();
        await untilTrue('panel closed', async () => (await page.locator('.tab', { hasText: 'DiffuSeq Candidates' }).count()) === 0, 10_000);
        await openFile('cache.ts', 'export function');
        await selectLineText(2);
        /** The comment block as the editor shows it: the lines between the function's first line and `rebuild();`. */
        const block = async () => {
          const lines = await activeLines();
          const from = lines.indexOf(CODE[0]);
          const to = lines.findIndex((l) => l.trim() === 'rebuild();');
          return from >= 0 && to > from ? lines.slice(from + 1, to) : [];
        };
        const original = CODE.slice(1, 4);
        await page.keyboard.press('Alt+.');
        let first: string[] = [];
        await untilTrue(
          'the first candidate in place',
          async () => {
            first = await block();
            return first.length > 0 && first.join('\n') !== original.join('\n');
          },
          180_000,
        );
        // Every line of the block keeps its indentation and marker; the code around it is untouched.
        for (const line of first) assert.match(line, /^ {2}\/\/ \S/, `line without its marker: ${JSON.stringify(line)}`);
        await shot('cycle-comment');
        await page.keyboard.press('Alt+.');
        await page.waitForTimeout(1000);
        const second = await block();
        for (const line of second) assert.match(line, /^ {2}\/\/ \S/);
        await page.keyboard.press('Escape');
        await untilTrue('the original comment is back', async () => (await block()).join('\n') === original.join('\n'), 10_000);
        assert.equal(fs.readFileSync(path.join(workspace, 'cache.ts'), 'utf8'), CODE.join('\n'), 'nothing saved');
      },
    );

    const logFile = findFiles(profile.userDataDir, /DiffuSeq\.log$/)[0];
    const log = logFile ? fs.readFileSync(logFile, 'utf8') : '';
    const activation = /activated in ([^\n]*)/.exec(log)?.[1];
    const firstRun = /run #1 finished in (\d+) ms/.exec(log)?.[1];
    console.log(
      `\ne2e passed in ${((Date.now() - tAll) / 1000).toFixed(1)} s: ${candidates} candidates; first rewrite (click → panel filled) ${runMs} ms` +
        `${firstRun ? ` (engine start + load + sampling ${firstRun} ms)` : ''}; activation ${activation ?? '?'} (from the DiffuSeq log).`,
    );
    console.log(
      `screenshots: ${path.relative(REPO_ROOT, RESULTS)}/e2e-*.png${process.env.DIFFUSEQ_DOCS_SCREENSHOTS === '1' ? ', docs/images/{panel-light,panel-dark,panel-high-contrast,workbench-light,workbench-dark,lightbulb,panel-partial-accept,cycle-comment}.png' : ''}`,
    );
  } catch (e) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) await pages[0].screenshot({ path: path.join(RESULTS, 'e2e-failure.png') }).catch(() => undefined);
    console.error(`\ncode-server output (tail):\n${server.output().slice(-3000)}`);
    throw e;
  } finally {
    await browser.close();
    await server.stop();
    if (!process.env.DIFFUSEQ_KEEP_PROFILE) fs.rmSync(profile.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
