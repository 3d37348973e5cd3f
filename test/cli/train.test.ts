/**
 * `diffuseq train` (src/cli/train.ts) through bin/diffuseq.js with a fake trainer: the install message without
 * torch, the parsed options, and Ctrl-C forwarded once with the resume command printed.
 */
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseTrainArgs } from '../../src/cli/train';
import { findPythonWithTorch, findTrainerRoot, noTorchMessage } from '../../src/trainer/pythonEnv';
import { startTraining, trainCommand } from '../../src/trainer/runner';
import { writeFakeTrainer } from '../trainer/fakeTrainer';

const ROOT = findTrainerRoot(__dirname);
const BIN = path.join(ROOT, 'bin', 'diffuseq.js');

describe('cli/train', function () {
  this.timeout(60_000);
  let tmp: string;
  let fake: string;
  let config: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-train-test-'));
    ({ fake, config } = writeFakeTrainer(tmp));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('says clearly how to install torch when the Python has none', function () {
    // A Python without torch: the pyenv python3 first on PATH on the dev machine, else a missing executable.
    let noTorch = path.join(tmp, 'no-such-python');
    const r = cp.spawnSync('python3', ['-c', 'import sys\ntry:\n import torch\n print("HAS")\nexcept Exception:\n print(sys.executable)'], {
      encoding: 'utf8',
    });
    if (r.status === 0 && r.stdout.trim() !== 'HAS') noTorch = r.stdout.trim();
    const res = cp.spawnSync(process.execPath, [BIN, 'train', '--config', config], {
      encoding: 'utf8',
      env: { ...process.env, DIFFUSEQ_PYTHON: noTorch },
      timeout: 60_000,
    });
    assert.notStrictEqual(res.status, 0);
    const err = res.stderr;
    assert.match(err, /no Python with PyTorch found/);
    assert.ok(err.includes(noTorch), 'names the Python it tried');
    assert.match(err, /sudo apt-get install python3-torch/);
    assert.match(err, /pip install torch/);
    assert.match(err, /docs\/training\.md/);
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    assert.strictEqual(res.stdout, '');
    assert.ok(noTorchMessage([]).includes('DIFFUSEQ_PYTHON'));
    const found = findPythonWithTorch({ ...process.env, DIFFUSEQ_PYTHON: noTorch });
    assert.strictEqual(found.python, undefined);
    assert.strictEqual(found.tried.length, 1, 'only DIFFUSEQ_PYTHON is tried when it is set');
  });

  it('gives the full install message through bin/diffuseq.js too, and parses the train options', () => {
    const res = cp.spawnSync(process.execPath, [BIN, 'train', '--config', config], {
      encoding: 'utf8',
      env: { ...process.env, DIFFUSEQ_PYTHON: path.join(tmp, 'no-such-python') },
    });
    // Exit 1, not 2: the command line was fine, the machine lacks PyTorch (2 is kept for a bad command line).
    assert.strictEqual(res.status, 1, res.stderr);
    assert.match(res.stderr, /no Python with PyTorch found[\s\S]*sudo apt-get install python3-torch[\s\S]*pip install torch/);
    assert.deepStrictEqual(parseTrainArgs(['--config', 'c.json', '--max-steps', '10', '--gpus=2', '--max-minutes', '1.5']), {
      config: 'c.json',
      data: undefined,
      out: undefined,
      resume: undefined,
      init: undefined,
      maxSteps: 10,
      maxMinutes: 1.5,
      gpus: 2,
    });
    assert.strictEqual(parseTrainArgs(['--config', 'c.json', '--init', 'models/default']).init, 'models/default');
    // --overwrite and --verbose reach the trainer (it refuses a run folder with a checkpoint without --resume/--overwrite).
    const ov = parseTrainArgs(['--config', 'c.json', '--out', 'runs/a', '--overwrite', '--verbose']);
    assert.deepStrictEqual([ov.overwrite, ov.verbose], [true, true]);
    assert.deepStrictEqual(trainCommand('py', { ...ov, cwd: '/w' }).slice(-4), ['--out', '/w/runs/a', '--overwrite', '--verbose']);
    assert.ok(!trainCommand('py', { config: 'c.json' }).includes('--overwrite'));
    assert.deepStrictEqual(trainCommand('py', { config: 'c.json', init: 'models/default', cwd: '/w' }).slice(-2), [
      '--init',
      '/w/models/default',
    ]);
    assert.throws(() => parseTrainArgs(['--config', 'c', '--init', 'p', '--resume', 'r.pt']), /give one/);
    assert.throws(() => startTraining({ config, init: tmp, python: fake }), /--init .* is not a model package \(no manifest\.json\)/);
    assert.throws(() => parseTrainArgs(['--max-steps', '10']), /--config FILE\.json is required/);
    assert.throws(() => parseTrainArgs(['--config', 'c', '--max-steps', 'x']), /--max-steps must be an integer/);
    assert.throws(() => parseTrainArgs(['--config', 'c', '--epochs', '3']), /Unknown option '--epochs'/);
    assert.strictEqual(findTrainerRoot(path.join(ROOT, 'dist')), ROOT, 'found from a bundle folder');
  });

  it('forwards Ctrl-C (SIGINT) once and prints how to resume from the checkpoint', async function () {
    if (process.platform === 'win32') this.skip();
    const child = cp.spawn(process.execPath, [BIN, 'train', '--config', config, '--out', path.join(tmp, 'run')], {
      env: { ...process.env, DIFFUSEQ_PYTHON: fake, FAKE_MODE: 'sigint', DIFFUSEQ_PROGRESS: 'lines' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no step line; stdout: ${out} stderr: ${err}`)), 30_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (/step \d+\/100000/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    // A second Ctrl-C while the checkpoint is being written must not reach the trainer.
    setTimeout(() => child.kill('SIGINT'), 100);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.strictEqual(code, 130, `stdout: ${out}\nstderr: ${err}`);
    assert.match(out, /SIGINT sent to the trainer; waiting for it to write a checkpoint/);
    assert.match(out, /checkpoint @ step \d+: \/tmp\/fake run\/ckpt\.pt/);
    assert.match(err, /sigints received: 1\n/, 'exactly one SIGINT reached the trainer');
    assert.match(out, /training stopped/);
    assert.ok(
      out.includes(`resume with: diffuseq train --config ${config} --out ${path.join(tmp, 'run')} --resume '/tmp/fake run/ckpt.pt'`),
      out,
    );
  });
});
