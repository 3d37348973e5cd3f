/**
 * The extension in a real VS Code extension host, with the real engine process and the model package in
 * the extension's models/ folder (models/default, else models/_dev-random). Run by runTests.ts (desktop)
 * and runWeb.ts (code-server).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sleep, until } from './wait';
import type { DiffuSeqApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/rewrite';
import { PANEL_VIEW_TYPE } from '../../../src/extension/panel';
import { itestLog } from './itestLog';
import { ACTIVATION_OUT_ENV, appendActivationSample } from '../../../bench/lib/activation';

const EXTENSION_ID = 'diffuseq-rewrite.diffuseq-rewrite';
const log = (s: string) => itestLog(`      · ${s}`);

async function config(values: Record<string, unknown>): Promise<void> {
  const c = vscode.workspace.getConfiguration('diffuseq');
  for (const [k, v] of Object.entries(values)) await c.update(k, v, vscode.ConfigurationTarget.Global);
}

const ORIGINAL_LINES = ['First line stays as it is.', 'The quick brown fox jumps over the lazy dog.', 'Last line stays too.'];

async function openSample(lines = ORIGINAL_LINES): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content: lines.join('\n'), language: 'plaintext' });
  return vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
}

/**
 * Gives the editor of `doc` keyboard focus and waits until VS Code reports it as the active editor: `undo`
 * acts on whatever has focus, and the candidates panel (a webview: no activeTextEditor while it has focus)
 * may have been revealed with focus by the command that just ran.
 */
async function focusEditor(doc: vscode.TextDocument): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  await until('the text editor to be active', () => vscode.window.activeTextEditor?.document === doc);
  return editor;
}

function selectLine(editor: vscode.TextEditor, line: number): vscode.Range {
  const r = editor.document.lineAt(line).range;
  editor.selection = new vscode.Selection(r.start, r.end);
  return r;
}

describe('DiffuSeq Rewrite in a VS Code extension host', function () {
  this.timeout(300_000);
  const ext = vscode.extensions.getExtension<DiffuSeqApi>(EXTENSION_ID);
  let api: DiffuSeqApi;
  let modelsDir: string;

  before(async () => {
    assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
    modelsDir = path.join(ext.extensionPath, 'models');
    await config({ candidates: 4, steps: 4, order: 2, seed: null, applyMode: 'panel', executionProvider: 'cpu' });
  });

  after(async () => {
    await config({
      candidates: undefined,
      steps: undefined,
      order: undefined,
      seed: undefined,
      applyMode: undefined,
      executionProvider: undefined,
    });
  });

  it('activates after start-up (onStartupFinished, for the lightbulb) without starting the engine', async () => {
    await until('activation after start-up', () => ext!.isActive, 60_000);
    assert.equal(ext!.exports.engine(), undefined, 'the engine process must not start at activation');
  });

  it('a command runs without starting the engine; activation time is logged', async () => {
    const t0 = Date.now();
    await vscode.commands.executeCommand('diffuseq.showLog');
    const wall = Date.now() - t0;
    assert.ok(ext!.isActive);
    api = ext!.exports;
    assert.equal(api.engine(), undefined, 'the engine process must not start at activation');
    const a = api.activation;
    log(
      `activation: activate() ${a.activateMs.toFixed(1)} ms, module evaluation ${a.moduleMs.toFixed(1)} ms, VS Code preparing the context ${a.contextMs.toFixed(1)} ms; ` +
        `first command ${wall} ms`,
    );
    // `npm run bench` starts this host to measure activation and reads the marks from this file.
    const out = process.env[ACTIVATION_OUT_ENV];
    if (out) appendActivationSample(out, { ...a, host: `${vscode.env.appName} ${vscode.version}` });
    const model = api.activeModel();
    assert.ok(model, `no model package in ${modelsDir}`);
    assert.ok(model.startsWith(modelsDir + path.sep), `active model ${model} is not from the extension's models/`);
    assert.ok(fs.existsSync(path.join(model, 'manifest.json')));
  });

  it('Paraphrase Selection: candidates from the bundled model; Apply replaces exactly the range; ONE undo restores', async () => {
    const editor = await openSample();
    const range = selectLine(editor, 1);
    const t0 = Date.now();
    const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
    log(`first paraphrase (engine start + model load + 4×4 sampling): ${Date.now() - t0} ms`);
    assert.equal(outcome.status, 'done', outcome.error?.message);
    const engine = api.engine();
    assert.ok(engine?.pid, 'engine process running');
    assert.notEqual(engine.pid, process.pid, 'the engine runs in its own process');
    assert.ok(engine.model?.dir.startsWith(modelsDir + path.sep));
    const st = api.panelState();
    assert.ok(st);
    assert.equal(st.status, 'done');
    assert.equal(st.items.length, 1);
    assert.equal(st.items[0].original, ORIGINAL_LINES[1]);
    assert.equal(st.items[0].candidates.length, 4);
    assert.ok(st.items[0].mbrIndex >= 0 && st.items[0].mbrIndex < 4);
    assert.equal(st.model?.executionProvider, 'cpu');

    const k = (st.items[0].mbrIndex + 1) % 4;
    const text = st.items[0].candidates[k].text;
    assert.equal(await api.applyCandidate(0, k), true);
    const doc = editor.document;
    assert.equal(doc.getText(), [ORIGINAL_LINES[0], text, ORIGINAL_LINES[2]].join('\n'));
    assert.equal(doc.getText(new vscode.Range(range.start, doc.positionAt(doc.offsetAt(range.start) + text.length))), text);
    assert.equal(api.panelState()?.items[0].applied, k);

    // Another candidate replaces the applied one (the panel tracks where its text now is).
    const k2 = (k + 1) % 4;
    assert.equal(await api.applyCandidate(0, k2), true);
    assert.equal(doc.getText(), [ORIGINAL_LINES[0], st.items[0].candidates[k2].text, ORIGINAL_LINES[2]].join('\n'));

    await focusEditor(doc);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), [ORIGINAL_LINES[0], text, ORIGINAL_LINES[2]].join('\n'), 'one undo undoes one apply');
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), ORIGINAL_LINES.join('\n'), 'one undo per apply restores the original');
  });

  it('refuses to apply when the selected text was edited after the run (never overwrites), and marks the panel stale', async () => {
    const editor = await openSample();
    selectLine(editor, 1);
    const outcome = (await vscode.commands.executeCommand('diffuseq.simplify')) as RunOutcome;
    assert.equal(outcome.status, 'done');
    await editor.edit((e) => e.insert(new vscode.Position(1, 4), 'very '));
    const edited = editor.document.getText();
    assert.equal(await api.applyCandidate(0, 0), false);
    assert.equal(editor.document.getText(), edited, 'nothing was overwritten');
    assert.equal(api.panelState()?.stale, true);
    assert.match(api.panelState()?.message?.text ?? '', /edited since the rewrite started/);
    // Re-run rewrites the current text (the selection grew with the insertion).
    const again = await api.rerun();
    assert.equal(again?.status, 'done');
    assert.equal(api.panelState()?.items[0].original, 'The very quick brown fox jumps over the lazy dog.');
    assert.equal(api.panelState()?.stale, false);
    assert.equal(await api.applyCandidate(0, 0), true);
    assert.equal(editor.document.lineAt(1).text, api.panelState()!.items[0].candidates[0].text);
  });

  it('applies when the document changed elsewhere but the range still holds the original', async () => {
    const editor = await openSample();
    selectLine(editor, 1);
    const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
    assert.equal(outcome.status, 'done');
    await editor.edit((e) => e.insert(editor.document.lineAt(2).range.end, ' (edited later)'));
    const st = api.panelState()!;
    assert.equal(await api.applyCandidate(0, st.items[0].mbrIndex), true);
    assert.equal(editor.document.lineAt(1).text, st.items[0].candidates[st.items[0].mbrIndex].text);
    assert.equal(editor.document.lineAt(2).text, ORIGINAL_LINES[2] + ' (edited later)');
  });

  it('a line deleted above during a run: Apply writes to the moved sentence, Re-run with only a cursor rewrites it, not the next one', async () => {
    await config({ steps: 50 });
    let editor: vscode.TextEditor;
    try {
      editor = await openSample();
      selectLine(editor, 1);
      const running = vscode.commands.executeCommand('diffuseq.paraphrase') as Thenable<RunOutcome>;
      await until('progress', () => (api.panelState()?.progress ?? 0) > 0);
      await editor.edit((e) => e.delete(editor.document.lineAt(0).rangeIncludingLineBreak));
      assert.equal((await running).status, 'done');
    } finally {
      await config({ steps: 4 });
    }
    const st = api.panelState()!;
    const c = st.items[0].mbrIndex;
    assert.equal(await api.applyCandidate(0, c), true, api.panelState()?.message?.text);
    assert.equal(editor.document.getText(), [st.items[0].candidates[c].text, ORIGINAL_LINES[2]].join('\n'));
    await focusEditor(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), ORIGINAL_LINES.slice(1).join('\n'));
    // A line inserted above moves the sentence down: Re-run with only a cursor placed must still rewrite it.
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'A new first line.\n'));
    editor.selection = new vscode.Selection(new vscode.Position(2, 0), new vscode.Position(2, 0)); // only a cursor
    const again = await api.rerun();
    assert.equal(again?.status, 'done');
    assert.equal(api.panelState()?.items[0].original, ORIGINAL_LINES[1], 'Re-run rewrote the sentence the run was for');
  });

  it('several selections on one line: applying each in turn moves the others with the edit', async () => {
    const line = 'One cat sat down. Two dogs ran off. Three birds flew by.';
    const editor = await openSample([line]);
    const spans = ['One cat sat down.', 'Two dogs ran off.', 'Three birds flew by.'].map((t) => {
      const at = line.indexOf(t);
      return new vscode.Selection(new vscode.Position(0, at), new vscode.Position(0, at + t.length));
    });
    editor.selections = spans;
    const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
    assert.equal(outcome.status, 'done');
    const st = api.panelState()!;
    assert.equal(st.items.length, 3);
    const picked = st.items.map((it) => it.candidates.findIndex((c) => c.text.trim() !== ''));
    for (let i = 0; i < 3; i++)
      assert.equal(await api.applyCandidate(i, picked[i]), true, `selection ${i + 1}: ${api.panelState()?.message?.text}`);
    assert.equal(editor.document.getText(), st.items.map((it, i) => it.candidates[picked[i]].text).join(' '));
  });

  it('a read-only document: Apply does not say "Applied." when nothing changed', async () => {
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const editor = await until('default keybindings editor', () => {
      const e = vscode.window.activeTextEditor;
      return e && /keybindings/i.test(e.document.uri.toString()) ? e : undefined;
    });
    const before = editor.document.getText();
    const line = editor.document.lineAt(0);
    editor.selection = new vscode.Selection(line.range.start, line.range.end);
    const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
    assert.equal(outcome.status, 'done', outcome.error?.message);
    const st = api.panelState()!;
    const c = st.items[0].candidates.findIndex((x) => x.text !== line.text && x.text.trim() !== '');
    assert.ok(c >= 0);
    assert.equal(await api.applyCandidate(0, c), false);
    assert.equal(editor.document.getText(), before, 'nothing changed');
    assert.equal(api.panelState()?.items[0].applied, undefined, 'no Applied badge');
    assert.doesNotMatch(api.panelState()?.message?.text ?? '', /^Applied/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it("the panel never covers the text it rewrites: left in the document's group, it is revealed beside", async () => {
    const panelColumn = () =>
      vscode.window.tabGroups.all.find((g) =>
        g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(PANEL_VIEW_TYPE)),
      )?.viewColumn;
    const first = await openSample();
    selectLine(first, 1);
    assert.equal(((await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome).status, 'done');
    const column = await until('the panel in a group', () => panelColumn());
    assert.notEqual(column, first.viewColumn, 'opened beside the document');
    // A second document opened in the panel's group, in front of the panel, and rewritten.
    const doc = await vscode.workspace.openTextDocument({ content: ORIGINAL_LINES.join('\n'), language: 'plaintext' });
    const second = await vscode.window.showTextDocument(doc, column);
    selectLine(second, 1);
    assert.equal(((await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome).status, 'done');
    await until("the panel out of the second document's group", () => panelColumn() !== second.viewColumn || undefined);
    assert.ok(
      vscode.window.visibleTextEditors.some((e) => e.document === doc),
      'the document being rewritten stays visible',
    );
    await vscode.window.showTextDocument(doc, second.viewColumn);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('applyBest never deletes the selection for an empty MBR choice (probe: "Hello", seed 1, 3 candidates)', async () => {
    await config({ applyMode: 'applyBest', seed: 1, candidates: 3 });
    try {
      const editor = await openSample(['Hello']);
      selectLine(editor, 0);
      const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
      assert.equal(outcome.status, 'done');
      const r = outcome.results![0];
      log(`"Hello", seed 1: candidates ${JSON.stringify(r.candidates.map((c) => c.text))}, MBR #${r.mbrIndex + 1}`);
      const text = editor.document.getText();
      if (r.candidates.every((c) => c.text.trim() === '')) assert.equal(text, 'Hello', 'every candidate empty: nothing applied');
      else assert.equal(text, r.candidates[r.mbrIndex].text, 'the non-empty MBR choice applied');
      assert.notEqual(text.trim(), '', 'the selection is never deleted');
    } finally {
      await config({ applyMode: 'panel', seed: null, candidates: 4 });
    }
  });

  it('applyBest with several selections: each rewritten in place, in ONE edit (one undo restores all)', async () => {
    await config({ applyMode: 'applyBest' });
    try {
      const editor = await openSample();
      const r0 = editor.document.lineAt(0).range;
      const r2 = editor.document.lineAt(2).range;
      editor.selections = [new vscode.Selection(r0.start, r0.end), new vscode.Selection(r2.start, r2.end)];
      const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
      assert.equal(outcome.status, 'done');
      const best = outcome.results!.map((r) => r.candidates[r.mbrIndex].text);
      assert.equal(editor.document.getText(), [best[0], ORIGINAL_LINES[1], best[1]].join('\n'));
      await focusEditor(editor.document);
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), ORIGINAL_LINES.join('\n'));
    } finally {
      await config({ applyMode: 'panel' });
    }
  });

  it('cancellation: the run ends as cancelled, the text is untouched, the engine stays usable', async () => {
    await config({ candidates: 32, steps: 50 });
    try {
      const long = Array.from(
        { length: 8 },
        (_, i) => `This is sentence number ${i + 1}, written only to make the input long enough to take a while.`,
      );
      const editor = await openSample([long.join(' ')]);
      selectLine(editor, 0);
      const pid = api.engine()?.pid;
      const running = vscode.commands.executeCommand('diffuseq.paraphrase') as Thenable<RunOutcome>;
      await until('progress', () => (api.panelState()?.progress ?? 0) > 0);
      const t0 = Date.now();
      api.cancel();
      const outcome = await running;
      log(`cancel → run ended in ${Date.now() - t0} ms`);
      assert.equal(outcome.status, 'cancelled');
      assert.equal(api.panelState()?.status, 'cancelled');
      assert.equal(editor.document.getText(), long.join(' '));
      assert.equal(api.engine()?.pid, pid, 'cancelling does not restart the engine');
    } finally {
      await config({ candidates: 4, steps: 4 });
    }
    const editor = await openSample();
    selectLine(editor, 1);
    assert.equal(((await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome).status, 'done');
  });

  it('a crashed engine process is restarted on the next request (the extension host survives)', async () => {
    const before = api.engine()!;
    assert.ok(api.killEngine('SIGKILL'));
    await until('engine exit noticed', () => api.engine()?.pid === undefined, 10_000);
    const editor = await openSample();
    selectLine(editor, 1);
    const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
    assert.equal(outcome.status, 'done', outcome.error?.message);
    const after = api.engine()!;
    assert.equal(after.starts, before.starts + 1);
    assert.notEqual(after.pid, before.pid);
  });

  it('Select Model… lists the packages of models/ (first item accepted)', async () => {
    const picking = vscode.commands.executeCommand('diffuseq.selectModel');
    await sleep(1000);
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await picking;
    const m = api.activeModel();
    assert.ok(m && m.startsWith(modelsDir + path.sep));
  });

  it('task provider: one training task per trainer config', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'diffuseq' });
    const labels = tasks.map((t) => t.name).sort();
    log(`tasks: ${labels.join(', ')}`);
    const configs = fs.readdirSync(path.join(ext!.extensionPath, 'src', 'trainer', 'configs')).filter((f) => f.endsWith('.json'));
    for (const c of configs) assert.ok(labels.includes(`train ${c.replace(/\.json$/, '')}`), `no task for ${c}`);
    for (const t of tasks) assert.ok(t.execution instanceof vscode.CustomExecution);
  });

  it('training without PyTorch: a clear message with the install line before anything is launched', async () => {
    const saved = process.env.DIFFUSEQ_PYTHON;
    process.env.DIFFUSEQ_PYTHON = '/nonexistent/python3';
    try {
      const [task] = await vscode.tasks.fetchTasks({ type: 'diffuseq' });
      const ended = new Promise<void>((resolve) => {
        const d = vscode.tasks.onDidEndTask((e) => {
          if (e.execution.task.name === task.name) {
            d.dispose();
            resolve();
          }
        });
      });
      await vscode.tasks.executeTask(task);
      await ended;
      const msg = (api ?? ext!.exports).lastMissingPython() ?? '';
      assert.match(msg, /no(ne was found| Python)/i);
      assert.match(msg, /pip install torch/);
      assert.match(msg, /docs\/training\.md/);
    } finally {
      if (saved === undefined) delete process.env.DIFFUSEQ_PYTHON;
      else process.env.DIFFUSEQ_PYTHON = saved;
    }
  });

  it('default keybindings: ours are not bound to any built-in command', async () => {
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const doc = await until('default keybindings editor', () => {
      const d = vscode.window.activeTextEditor?.document;
      return d && /keybindings/i.test(d.uri.toString()) ? d : undefined;
    });
    const text = doc.getText();
    const pairs = [...text.matchAll(/"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)].map((m) => ({ key: m[1], command: m[2] }));
    assert.ok(pairs.length > 300, `only ${pairs.length} default keybindings read`);
    const ours = ext!.packageJSON.contributes.keybindings as Array<{ key: string; command: string; when: string }>;
    // Esc is the editor's own key on purpose, taken only while an in-place cycle runs (`diffuseq.cycling`).
    for (const k of ours.filter((o) => !(o.key === 'escape' && /diffuseq\.cycling/.test(o.when)))) {
      const clash = pairs.filter((p) => p.key === k.key && !p.command.startsWith('diffuseq.'));
      assert.deepEqual(clash, [], `${k.key} is also bound to ${clash.map((c) => c.command).join(', ')}`);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
