/**
 * Rewriting where the hand already is, in a real extension host with the real engine: the lightbulb's Code
 * Actions, a `//` comment block rewritten inside its markers, and cycling candidates in place (each step one undo
 * step, the original back on restore). Runs after rewrite.itest.ts (files load in name order).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { sleep, until } from './wait';
import type { DiffuSeqApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/rewrite';

const EXTENSION_ID = 'diffuseq-rewrite.diffuseq-rewrite';

async function open(lines: string[], language: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content: lines.join('\n'), language });
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  await until('the editor to be active', () => vscode.window.activeTextEditor?.document === doc);
  return editor;
}

/**
 * The Code Actions VS Code collects for `range`. VS Code cancels a collection when the document's model changes
 * while it runs, and a freshly opened untitled document can still be settling under a loaded CI machine: a
 * cancelled collection is asked again (a wrong answer still fails at once).
 */
async function codeActionsAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', uri, range)) as vscode.CodeAction[];
    } catch (e) {
      if (!(e instanceof Error && /Canceled/.test(e.message)) || attempt === 5) throw e;
      await sleep(200 * attempt);
    }
  }
}

const CODE = [
  'export function reindex(): void {',
  '  // The cache is invalidated whenever the configuration',
  '  // file changes, which forces a full rebuild of the index.',
  '  rebuild();',
  '}',
];

describe('DiffuSeq Rewrite where people write', function () {
  this.timeout(300_000);
  let api: DiffuSeqApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<DiffuSeqApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    const c = vscode.workspace.getConfiguration('diffuseq');
    for (const [k, v] of Object.entries({ candidates: 4, steps: 4, applyMode: 'panel', executionProvider: 'cpu' }))
      await c.update(k, v, vscode.ConfigurationTarget.Global);
  });

  it('the lightbulb offers Paraphrase / Simplify selection on a selection, and nothing on an empty one', async () => {
    // Markdown: no language server to wait for (a TypeScript file works the same, after tsserver starts).
    const editor = await open(CODE, 'markdown');
    const range = new vscode.Range(1, 5, 1, 30);
    const actions = await codeActionsAt(editor.document.uri, range);
    const ours = actions.filter((a) => a.kind?.value.startsWith('refactor.rewrite.diffuseq'));
    assert.deepEqual(
      ours.map((a) => [a.title, a.command?.command]),
      [
        ['Paraphrase selection', 'diffuseq.paraphrase'],
        ['Simplify selection', 'diffuseq.simplify'],
      ],
    );
    const none = await codeActionsAt(editor.document.uri, new vscode.Range(1, 5, 1, 5));
    assert.equal(none.filter((a) => a.kind?.value.startsWith('refactor.rewrite.diffuseq')).length, 0);
  });

  it('a selection inside a // comment: the candidates keep the markers and the indentation; the code is untouched', async () => {
    const editor = await open(CODE, 'typescript');
    editor.selection = new vscode.Selection(1, 10, 2, 20);
    const outcome = (await vscode.commands.executeCommand('diffuseq.paraphrase')) as RunOutcome;
    assert.equal(outcome.status, 'done', outcome.error?.message);
    const st = api.panelState()!;
    assert.equal(st.items[0].original, CODE.slice(1, 3).join('\n'), 'the target is the whole comment lines');
    for (const c of st.items[0].candidates) {
      for (const line of c.text.split('\n'))
        assert.match(line, /^ {2}\/\/ \S/, `candidate line without its marker: ${JSON.stringify(line)}`);
    }
    const k = st.items[0].mbrIndex;
    assert.equal(await api.applyCandidate(0, k), true);
    const lines = editor.document.getText().split('\n');
    const n = st.items[0].candidates[k].text.split('\n').length;
    assert.deepEqual([lines[0], ...lines.slice(1 + n)], [CODE[0], ...CODE.slice(3)], 'only the comment changed');
  });

  it('next/previous cycle the candidates in place, one undo step each; restore writes the original back', async () => {
    const text = 'The committee postponed the decision because several members were unable to attend.';
    const editor = await open(['Intro.', text, 'Outro.'], 'plaintext');
    const line = editor.document.lineAt(1).range;
    editor.selection = new vscode.Selection(line.start, line.end);
    assert.equal(await vscode.commands.executeCommand('diffuseq.nextCandidate'), true);
    const ring = api.cycleState()!.ring;
    assert.ok(ring.length >= 1);
    assert.equal(api.cycleState()!.at, 0);
    assert.equal(editor.document.lineAt(1).text, ring[0], 'the MBR choice first');
    assert.equal(editor.document.getText(editor.selection), ring[0], 'the candidate is selected');
    assert.equal(await vscode.commands.executeCommand('diffuseq.nextCandidate'), true);
    assert.equal(editor.document.lineAt(1).text, ring[1 % ring.length]);
    assert.equal(await vscode.commands.executeCommand('diffuseq.previousCandidate'), true);
    assert.equal(editor.document.lineAt(1).text, ring[0]);
    assert.equal(await vscode.commands.executeCommand('diffuseq.restoreOriginal'), true);
    assert.equal(editor.document.getText(), ['Intro.', text, 'Outro.'].join('\n'));
    assert.equal(api.cycleState(), undefined, 'restore ends the cycle');

    // Each step is its own undo step: two steps, one undo → the first candidate; the undo (an edit not ours) ends the cycle.
    editor.selection = new vscode.Selection(line.start, editor.document.lineAt(1).range.end);
    await vscode.commands.executeCommand('diffuseq.nextCandidate');
    await vscode.commands.executeCommand('diffuseq.nextCandidate');
    const first = api.cycleState()!.ring[0];
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.lineAt(1).text, first);
    await until('the cycle to end', () => api.cycleState() === undefined, 5000);
  });
});
