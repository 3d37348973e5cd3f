import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  configName,
  definitionsFor,
  defaultOutDir,
  exportArgs,
  findOnPath,
  findCheckpoint,
  findExportedPackage,
  freshOutDir,
  listTrainerConfigs,
  resolveCli,
  resolveDefinition,
  taskLabel,
  toTerminal,
  trainArgs,
  TrainRunner,
} from '../../src/extension/trainTasks';

const FAKE_TRAINER = path.join(__dirname, 'fixtures', 'fakeTrainer.js');

describe('extension/trainTasks', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsq-train-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('config names, labels and default run folders', () => {
    assert.equal(configName('/x/src/trainer/configs/base.json'), 'base');
    assert.equal(configName('/w/my-run.diffuseq.json'), 'my-run');
    assert.equal(defaultOutDir('/x/base.json', '/ws'), path.join('/ws', 'runs', 'base'));
    assert.equal(taskLabel({ type: 'diffuseq', config: 'a/base.json' }), 'train base');
    assert.equal(taskLabel({ type: 'diffuseq', config: 'a/base.json', data: '/d/qqp' }), 'train base on qqp');
  });

  it('a new run gets a fresh folder: runs/<config>, else -2, -3 … past the ones holding a checkpoint', () => {
    const cfg = path.join(tmp, 'cfgs', 'small.json');
    assert.equal(freshOutDir(cfg, tmp), path.join(tmp, 'runs', 'small'));
    fs.mkdirSync(path.join(tmp, 'runs', 'small'), { recursive: true });
    assert.equal(freshOutDir(cfg, tmp), path.join(tmp, 'runs', 'small'), 'an empty folder is fresh');
    fs.writeFileSync(path.join(tmp, 'runs', 'small', 'ckpt.pt'), 'step 140');
    assert.equal(freshOutDir(cfg, tmp), path.join(tmp, 'runs', 'small-2'));
    fs.mkdirSync(path.join(tmp, 'runs', 'small-2'));
    fs.writeFileSync(path.join(tmp, 'runs', 'small-2', 'weights.pt'), '');
    assert.equal(freshOutDir(cfg, tmp), path.join(tmp, 'runs', 'small-3'));
    // A task without "out" resolves to that fresh folder; one with "out" keeps it (the trainer refuses a used one).
    assert.equal(resolveDefinition({ type: 'diffuseq', config: cfg }, tmp).out, path.join(tmp, 'runs', 'small-3'));
    assert.equal(resolveDefinition({ type: 'diffuseq', config: cfg, out: 'runs/small' }, tmp).out, path.join(tmp, 'runs', 'small'));
  });

  it('definitions use ${workspaceFolder} for files inside the workspace', () => {
    const defs = definitionsFor([path.join('/ws', 'src', 'trainer', 'configs', 'base.json'), '/elsewhere/x.json'], '/ws');
    assert.deepEqual(defs, [
      { type: 'diffuseq', config: '${workspaceFolder}/src/trainer/configs/base.json' },
      { type: 'diffuseq', config: '/elsewhere/x.json' },
    ]);
  });

  it('resolves a definition and builds the CLI arguments', () => {
    const r = resolveDefinition({ type: 'diffuseq', config: '${workspaceFolder}/cfg/base.json', data: 'data/qqp', out: '/runs/a' }, '/ws');
    assert.deepEqual(r, {
      config: path.join('/ws', 'cfg', 'base.json'),
      data: path.join('/ws', 'data', 'qqp'),
      out: path.normalize('/runs/a'),
    });
    assert.deepEqual(trainArgs(r), ['train', '--config', r.config, '--data', r.data, '--out', r.out]);
    const noData = resolveDefinition({ type: 'diffuseq', config: 'base.json' }, '/ws');
    assert.deepEqual(trainArgs(noData), ['train', '--config', path.join('/ws', 'base.json'), '--out', path.join('/ws', 'runs', 'base')]);
    assert.deepEqual(exportArgs('/r/weights.pt', '/r/package'), ['export', '--checkpoint', '/r/weights.pt', '--out', '/r/package']);
    // Continuing from a package: --init with the package folder, resolved against the workspace.
    const init = resolveDefinition(
      { type: 'diffuseq', config: 'base.json', data: 'prep', init: '${workspaceFolder}/models/default' },
      '/ws',
    );
    assert.equal(init.init, path.join('/ws', 'models', 'default'));
    assert.deepEqual(trainArgs(init).slice(-2), ['--init', path.join('/ws', 'models', 'default')]);
    assert.equal(
      taskLabel({ type: 'diffuseq', config: 'a/base.json', data: '/d/qqp', init: '/m/default' }),
      'train base from default on qqp',
    );
  });

  it('lists trainer configs (json only, sorted)', () => {
    for (const n of ['b.json', 'a.json', 'notes.md']) fs.writeFileSync(path.join(tmp, n), '{}');
    assert.deepEqual(
      listTrainerConfigs(tmp).map((f) => path.basename(f)),
      ['a.json', 'b.json'],
    );
    assert.deepEqual(listTrainerConfigs(path.join(tmp, 'none')), []);
  });

  it('resolveCli: first existing script, run by the host node (ELECTRON_RUN_AS_NODE inside Electron), else diffuseq on PATH', () => {
    const exists = (p: string) => p === '/ext/bin/diffuseq.js';
    const node = { execPath: '/usr/bin/node', electron: false };
    assert.deepEqual(resolveCli(['/ws/bin/diffuseq.js', '/ext/bin/diffuseq.js'], exists, node, undefined), {
      command: '/usr/bin/node',
      args: ['/ext/bin/diffuseq.js'],
      env: {},
    });
    assert.deepEqual(resolveCli(['/ext/bin/diffuseq.js'], exists, { execPath: '/opt/code/code', electron: true }, undefined)?.env, {
      ELECTRON_RUN_AS_NODE: '1',
    });
    assert.deepEqual(resolveCli(['/nope.js'], exists, node, '/usr/local/bin/diffuseq'), {
      command: '/usr/local/bin/diffuseq',
      args: [],
      env: {},
    });
    assert.equal(resolveCli(['/nope.js'], exists, node, undefined), undefined);
  });

  it('findOnPath', function () {
    if (process.platform === 'win32') this.skip();
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'diffuseq'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(findOnPath('diffuseq', { PATH: ['/nonexistent', bin].join(path.delimiter) }), path.join(bin, 'diffuseq'));
    assert.equal(findOnPath('diffuseq', { PATH: '/nonexistent' }), undefined);
  });

  it('finds the newest exported package and the checkpoint of a run folder', () => {
    assert.equal(findExportedPackage(tmp), undefined);
    assert.equal(findCheckpoint(tmp), undefined);
    fs.writeFileSync(path.join(tmp, 'ckpt.pt'), '');
    assert.equal(findCheckpoint(tmp), path.join(tmp, 'ckpt.pt'));
    fs.writeFileSync(path.join(tmp, 'weights.pt'), '');
    assert.equal(findCheckpoint(tmp), path.join(tmp, 'weights.pt'), 'weights.pt (small) is preferred');
    const old = path.join(tmp, 'package-old');
    const pkgDir = path.join(tmp, 'export', 'package');
    fs.mkdirSync(old, { recursive: true });
    fs.mkdirSync(pkgDir, { recursive: true });
    fs.writeFileSync(path.join(old, 'manifest.json'), '{}');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(old, 'manifest.json'), past, past);
    fs.writeFileSync(path.join(pkgDir, 'manifest.json'), '{}');
    assert.equal(findExportedPackage(tmp), pkgDir);
    const deep = path.join(tmp, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'manifest.json'), '{}');
    assert.equal(findExportedPackage(tmp), pkgDir, 'three levels down is not looked at');
  });

  it('toTerminal turns line ends into CRLF', () => {
    assert.equal(toTerminal('a\nb\r\nc'), 'a\r\nb\r\nc');
  });

  it('TrainRunner: stop() sends SIGINT; the trainer checkpoints and exits 130', async function () {
    if (process.platform === 'win32') this.skip();
    const runner = new TrainRunner(process.execPath, [FAKE_TRAINER, tmp], { cwd: tmp, env: process.env, graceMs: 5000 });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      runner.start({ output: (t) => (out += t), exit: (code, signal) => resolve({ code, signal }) }),
    );
    while (!out.includes('step 2/')) await new Promise((r) => setTimeout(r, 10));
    runner.stop();
    const { code } = await exited;
    assert.equal(code, 130);
    assert.match(out, /checkpoint written at step \d+/);
    assert.ok(fs.existsSync(path.join(tmp, 'ckpt.pt')));
  });

  it('TrainRunner: escalates to SIGTERM when SIGINT is ignored past the grace period', async function () {
    if (process.platform === 'win32') this.skip();
    const runner = new TrainRunner(process.execPath, [FAKE_TRAINER, tmp, '--ignore-sigint'], { cwd: tmp, env: process.env, graceMs: 300 });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      runner.start({ output: (t) => (out += t), exit: (code, signal) => resolve({ code, signal }) }),
    );
    while (!out.includes('started')) await new Promise((r) => setTimeout(r, 10));
    runner.stop();
    const { signal } = await exited;
    assert.equal(signal, 'SIGTERM');
    assert.match(out, /ignoring SIGINT/);
  });
});
