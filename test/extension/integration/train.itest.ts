/**
 * Training tasks in a real extension host, with a stand-in CLI: the workspace's bin/diffuseq.js (which the
 * task provider prefers, as in this repository) is a small script that prints progress and, on SIGINT,
 * writes a checkpoint and exits 130 like the real trainer; DIFFUSEQ_PYTHON points at a fake Python that
 * passes the PyTorch probe. Checks that terminating the task sends SIGINT (resumable checkpoint).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiffuSeqApi } from '../../../src/extension/extension';

const FAKE_CLI = `#!/usr/bin/env node
const fs = require('fs'), path = require('path');
const a = process.argv.slice(2);
const out = a[a.indexOf('--out') + 1];
fs.mkdirSync(out, { recursive: true });
// Written whole or not at all (temp file + rename), as the real trainer writes its checkpoints: the test
// polls for these files and reads them as soon as they exist.
const put = (name, text) => { const p = path.join(out, name); fs.writeFileSync(p + '.tmp', text); fs.renameSync(p + '.tmp', p); };
put('argv.json', JSON.stringify(a));
let step = 0;
const t = setInterval(() => console.log('step ' + (++step) + '/1000  loss 0.42  tokens/s 1234  ETA 9m'), 50);
process.on('SIGINT', () => { clearInterval(t); put('ckpt.pt', 'SIGINT at step ' + step); console.log('checkpoint written'); process.exit(130); });
process.on('SIGHUP', () => { put('got-SIGHUP', ''); process.exit(129); });
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DiffuSeq training tasks (stand-in CLI)', function () {
  this.timeout(120_000);
  let ws: string;
  let saved: string | undefined;

  before(function () {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || process.platform === 'win32') this.skip();
    ws = folder!.uri.fsPath;
    if (fs.existsSync(path.join(ws, 'package.json'))) this.skip(); // never write into a real project
    fs.mkdirSync(path.join(ws, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'bin', 'diffuseq.js'), FAKE_CLI);
    fs.writeFileSync(path.join(ws, 'itest.diffuseq.json'), '{}\n');
    const py = path.join(ws, 'fake-python.sh');
    fs.writeFileSync(py, '#!/bin/sh\necho \'{"python": "3.11.0", "torch": "2.4.0", "cuda": false}\'\n', { mode: 0o755 });
    saved = process.env.DIFFUSEQ_PYTHON;
    process.env.DIFFUSEQ_PYTHON = py;
  });

  after(() => {
    if (saved === undefined) delete process.env.DIFFUSEQ_PYTHON;
    else process.env.DIFFUSEQ_PYTHON = saved;
  });

  it('a workspace *.diffuseq.json gets a task; terminating it sends SIGINT and the checkpoint is written', async () => {
    const api = vscode.extensions.getExtension<DiffuSeqApi>('diffuseq-rewrite.diffuseq-rewrite')!.exports;
    const tasks = await vscode.tasks.fetchTasks({ type: 'diffuseq' });
    const task = tasks.find((t) => t.name === 'train itest');
    assert.ok(task, `no "train itest" task among ${tasks.map((t) => t.name).join(', ')}`);
    const out = path.join(ws, 'runs', 'itest');
    const execution = await vscode.tasks.executeTask(task);
    const t0 = Date.now();
    while (!fs.existsSync(path.join(out, 'argv.json'))) {
      if (Date.now() - t0 > 30_000) throw new Error('the stand-in CLI did not start');
      await sleep(50);
    }
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'argv.json'), 'utf8')), [
      'train',
      '--config',
      path.join(ws, 'itest.diffuseq.json'),
      '--out',
      out,
    ]);
    await sleep(300);
    execution.terminate();
    const t1 = Date.now();
    while (!fs.existsSync(path.join(out, 'ckpt.pt'))) {
      if (fs.existsSync(path.join(out, 'got-SIGHUP'))) throw new Error('the trainer got SIGHUP, not SIGINT');
      if (Date.now() - t1 > 20_000) throw new Error('no checkpoint after terminating the task');
      await sleep(50);
    }
    assert.match(fs.readFileSync(path.join(out, 'ckpt.pt'), 'utf8'), /^SIGINT at step \d+/);
    while (!api.lastTaskEnd() && Date.now() - t1 < 20_000) await sleep(50);
    assert.deepEqual(api.lastTaskEnd(), { action: 'train', out, code: 130 });
  });
});
