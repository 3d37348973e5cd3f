/** package.json's VS Code contributions agree with the code (commands registered, settings ranges…). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPLY_MODES, EXECUTION_PROVIDERS, SETTING_RANGES } from '../../src/extension/settings';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const extensionSource = fs.readFileSync(path.join(root, 'src', 'extension', 'extension.ts'), 'utf8');

describe('extension/manifest (package.json contributions)', () => {
  const commands: Array<{ command: string; title: string; category: string }> = pkg.contributes.commands;
  const ids = commands.map((c) => c.command);

  it('contributes the nine commands, each registered in extension.ts', () => {
    assert.deepEqual(ids.sort(), [
      'diffuseq.nextCandidate',
      'diffuseq.paraphrase',
      'diffuseq.previousCandidate',
      'diffuseq.restoreOriginal',
      'diffuseq.selectModel',
      'diffuseq.showCandidates',
      'diffuseq.showLog',
      'diffuseq.simplify',
      'diffuseq.trainModel',
    ]);
    for (const id of ids) assert.ok(extensionSource.includes(`'${id}'`), `${id} is not registered`);
    const titles = Object.fromEntries(commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    assert.equal(titles['diffuseq.paraphrase'], 'DiffuSeq: Paraphrase Selection');
    assert.equal(titles['diffuseq.simplify'], 'DiffuSeq: Simplify Selection');
    assert.equal(titles['diffuseq.showCandidates'], 'DiffuSeq: Show Rewrite Candidates');
    assert.equal(titles['diffuseq.selectModel'], 'DiffuSeq: Select Model…');
    assert.equal(titles['diffuseq.trainModel'], 'DiffuSeq: Train Model…');
    assert.equal(titles['diffuseq.showLog'], 'DiffuSeq: Show Engine Log');
    assert.equal(titles['diffuseq.nextCandidate'], 'DiffuSeq: Next Candidate in Place');
    assert.equal(titles['diffuseq.previousCandidate'], 'DiffuSeq: Previous Candidate in Place');
  });

  it('activates on its commands, its task type, and after start-up for the lightbulb (no *, no workspaceContains)', () => {
    const events: string[] = pkg.activationEvents;
    // onStartupFinished: the Code Action provider must be registered before the first Ctrl+. — after start-up, not
    // during it; activation starts no engine process (the integration tests check it).
    for (const e of events) assert.match(e, /^(onCommand:diffuseq\.|onTaskType:diffuseq$|onStartupFinished$)/);
    assert.ok(events.includes('onStartupFinished'));
    for (const id of ids) assert.ok(events.includes(`onCommand:${id}`));
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('editor context menu: paraphrase and simplify when there is a selection', () => {
    const ctx = pkg.contributes.menus['editor/context'];
    assert.deepEqual(
      ctx.map((m: { command: string; when: string }) => [m.command, m.when]),
      [
        ['diffuseq.paraphrase', 'editorHasSelection'],
        ['diffuseq.simplify', 'editorHasSelection'],
      ],
    );
  });

  it('keybindings avoid the common defaults (checked against the full default list in the code-server integration test)', () => {
    const kb: Array<{ key: string; mac?: string; command: string; when: string }> = pkg.contributes.keybindings;
    const by = Object.fromEntries(kb.map((k) => [k.command, k]));
    assert.deepEqual(Object.keys(by).sort(), [
      'diffuseq.nextCandidate',
      'diffuseq.paraphrase',
      'diffuseq.previousCandidate',
      'diffuseq.restoreOriginal',
      'diffuseq.simplify',
    ]);
    for (const id of ['diffuseq.paraphrase', 'diffuseq.simplify']) {
      assert.match(by[id].key, /^ctrl\+alt\+shift\+/);
      assert.match(by[id].mac!, /^cmd\+alt\+shift\+/);
    }
    // Alt+] / Alt+[ belong to inline suggestions; Alt+. / Alt+, are bound to nothing by default.
    assert.deepEqual([by['diffuseq.nextCandidate'].key, by['diffuseq.previousCandidate'].key], ['alt+.', 'alt+,']);
    // Esc restores the original only while a cycle runs, and leaves the suggest and find widgets their Esc.
    assert.equal(by['diffuseq.restoreOriginal'].key, 'escape');
    assert.match(by['diffuseq.restoreOriginal'].when, /diffuseq\.cycling/);
    assert.match(by['diffuseq.restoreOriginal'].when, /!suggestWidgetVisible/);
  });

  it('the description says nothing leaves the machine', () => {
    assert.match(pkg.description, /nothing leaves|no text leaves/i);
    assert.match(pkg.description, /no network/i);
  });

  it('settings: names, defaults and ranges match settings.ts', () => {
    const p = pkg.contributes.configuration.properties;
    for (const k of ['candidates', 'steps', 'order'] as const) {
      const s = p[`diffuseq.${k}`];
      assert.equal(s.type, 'integer');
      assert.equal(s.minimum, SETTING_RANGES[k].min, k);
      assert.equal(s.maximum, SETTING_RANGES[k].max, k);
      assert.equal(s.default, SETTING_RANGES[k].default, k);
      assert.ok(s.markdownDescription || s.description);
    }
    assert.deepEqual(p['diffuseq.seed'].type, ['integer', 'null']);
    assert.equal(p['diffuseq.seed'].default, null);
    assert.deepEqual(p['diffuseq.executionProvider'].enum, EXECUTION_PROVIDERS);
    assert.deepEqual(p['diffuseq.applyMode'].enum, APPLY_MODES);
    assert.equal(p['diffuseq.modelPath'].type, 'string');
    for (const v of Object.values(p) as Array<{ markdownDescription?: string; description?: string }>)
      assert.ok(v.markdownDescription || v.description);
  });

  it('task definition type diffuseq with config, data, out', () => {
    const td = pkg.contributes.taskDefinitions.find((t: { type: string }) => t.type === 'diffuseq');
    assert.ok(td);
    assert.deepEqual(td.required, ['config']);
    for (const k of ['config', 'data', 'out']) assert.equal(td.properties[k].type, 'string');
  });

  it('scripts for packaging and the test levels exist; vscode:prepublish builds the bundle', () => {
    for (const s of ['package', 'vscode:prepublish', 'test:integration', 'test:e2e', 'test:extension']) assert.ok(pkg.scripts[s], s);
    assert.match(pkg.scripts['vscode:prepublish'], /webpack/);
  });
});
