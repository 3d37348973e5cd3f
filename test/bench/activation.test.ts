import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runInWorker } from '../../bench/lib/fork';
import { absorbing, createVscodeStub, installVscodeStub } from '../../bench/lib/vscodeStub';
import type { ActivationReply } from '../../bench/worker';

/** A fake bundled extension that uses a typical slice of the VS Code API during activate(). */
const FAKE_EXTENSION = `
const vscode = require('vscode');
exports.activate = async function (context) {
  const out = vscode.window.createOutputChannel('DiffuSeq');
  out.appendLine('activating');
  const cfg = vscode.workspace.getConfiguration('diffuseq');
  const steps = cfg.get('steps', 10);
  if (steps !== 10) throw new Error('configuration default not returned: ' + steps);
  context.subscriptions.push(
    vscode.commands.registerCommand('diffuseq.paraphrase', () => undefined),
    vscode.commands.registerCommand('diffuseq.simplify', () => undefined),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, {}, { providedCodeActionKinds: [vscode.CodeActionKind.RefactorRewrite] }),
    vscode.window.registerWebviewViewProvider('diffuseq.candidates', {}),
  );
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  item.text = 'DiffuSeq';
  item.show();
  const emitter = new vscode.EventEmitter();
  emitter.event(() => undefined);
  emitter.fire(1);
  const uri = vscode.Uri.joinPath(context.extensionUri, 'models', 'default');
  if (!uri.fsPath.endsWith('/models/default')) throw new Error('bad uri ' + uri.fsPath);
  // Something the stub does not model explicitly still works.
  vscode.notebooks.registerSomething('x').dispose();
  await context.globalState.update('k', 1);
  if (context.globalState.get('k') !== 1) throw new Error('memento');
};
`;

describe('bench/activation', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ext-'));
    fs.writeFileSync(path.join(dir, 'extension.js'), FAKE_EXTENSION);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the absorbing stub answers any access and is not a thenable', async () => {
    const s = absorbing('x') as Record<string, (...a: unknown[]) => unknown>;
    assert.equal(typeof s.anything, 'function');
    assert.equal((s.a as unknown as Record<string, () => unknown>).b(), s);
    assert.equal(await (async () => s)(), s);
  });

  it('activates an extension in-process with the stub vscode and records what it registered', async () => {
    const stub = createVscodeStub();
    const undo = installVscodeStub(stub.module);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ext = require(path.join(dir, 'extension.js'));
      await ext.activate(stub.context(dir));
    } finally {
      undo();
    }
    assert.deepEqual(stub.registered.slice(0, 3), ['command:diffuseq.paraphrase', 'command:diffuseq.simplify', 'codeActionsProvider']);
    assert.ok(stub.registered.includes('webviewView:diffuseq.candidates'));
    // The stub is gone again: `vscode` resolves to nothing outside the extension host.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.throws(() => require('vscode'));
  });

  it('times activation in a forked worker', async () => {
    const r = await runInWorker<ActivationReply>(
      { type: 'activation', bundle: path.join(dir, 'extension.js'), extensionRoot: dir },
      { timeoutMs: 30_000 },
    );
    assert.ok(r.requireMs >= 0 && r.activateMs >= 0);
    assert.ok(r.registered.includes('command:diffuseq.paraphrase'));
    assert.ok(r.rssMiB > 10);
  });

  it('reports a worker failure with its message', async () => {
    fs.writeFileSync(path.join(dir, 'bad.js'), 'exports.activate = () => { throw new Error("no model here"); };');
    await assert.rejects(
      runInWorker({ type: 'activation', bundle: path.join(dir, 'bad.js'), extensionRoot: dir }, { timeoutMs: 30_000 }),
      /no model here/,
    );
  });
});
