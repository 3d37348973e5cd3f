import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chooseAllocator } from '../../src/trainer/allocator';
import { findPythonWithTorch, findTrainerRoot, noTorchMessage } from '../../src/trainer/common';
import {
  ProgressDisplay,
  StepEvent,
  TrainEvent,
  formatStep,
  parseProtocolLine,
  parseTrainArgs,
  startTraining,
  trainCommand,
} from '../../src/trainer/runner';

const ROOT = findTrainerRoot(__dirname);
const RUNNER = path.join(ROOT, 'out', 'src', 'trainer', 'runner.js');

/**
 * A fake "python": answers the torch probe, and for `-m diffuseq_trainer.train` prints protocol lines.
 * FAKE_MODE=normal: a short run that ends with done; FAKE_MODE=sigint: steps until SIGINT, then a checkpoint
 * and exit 130 (like the real trainer); FAKE_MODE=crash: an error event and exit 1.
 */
const FAKE_PYTHON = `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
if (args[0] === '-c') { console.log(JSON.stringify({ torch: '0.0-fake', version: '3.99', cuda: false })); process.exit(0); }
if (process.env.FAKE_ARGS_FILE) fs.writeFileSync(process.env.FAKE_ARGS_FILE, JSON.stringify({ args, pythonpath: process.env.PYTHONPATH, preload: process.env.LD_PRELOAD ?? null, tunables: process.env.GLIBC_TUNABLES ?? null }));
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const mode = process.env.FAKE_MODE || 'normal';
emit({ event: 'start', config: { name: 'fake' }, device: 'cpu', parameters: 12345, world: 1 });
process.stderr.write('some warning on stderr\\n');
console.log('stray stdout text');
if (mode === 'normal') {
  for (let s = 10; s <= 100; s += 10) emit({ event: 'step', step: s, steps: 100, loss: 2 - s / 100, mse: 1, tT: 0.1, nll: 0.5, lr: 1e-3, tokensPerSec: 1000 + s, elapsed: s / 10, eta: (100 - s) / 10 });
  emit({ event: 'eval', step: 100, validLoss: 0.9, validBleu: 12.5 });
  emit({ event: 'checkpoint', step: 100, path: '/tmp/fake-run/ckpt.pt' });
  emit({ event: 'done', step: 100, checkpoint: '/tmp/fake-run/ckpt.pt' });
  process.exit(0);
} else if (mode === 'crash') {
  emit({ event: 'error', message: 'CUDA out of memory (fake)' });
  process.exit(1);
} else {
  let step = 0, sigints = 0, stopping = false;
  const timer = setInterval(() => { step++; emit({ event: 'step', step, steps: 100000, loss: 1, tokensPerSec: 10, elapsed: step, eta: 1e5 - step }); }, 20);
  process.on('SIGINT', () => {
    sigints++;
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    setTimeout(() => {
      emit({ event: 'checkpoint', step, path: '/tmp/fake run/ckpt.pt', sigints });
      process.stderr.write('sigints received: ' + sigints + '\\n');
      process.exit(130);
    }, 400);
  });
  process.on('SIGTERM', () => process.exit(143));
}
`;

describe('trainer/runner', function () {
  this.timeout(60_000);
  let tmp: string;
  let fake: string;
  let config: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-test-'));
    fake = path.join(tmp, 'fake-python');
    fs.writeFileSync(fake, FAKE_PYTHON, { mode: 0o755 });
    config = path.join(tmp, 'cfg.json');
    fs.writeFileSync(config, JSON.stringify({ name: 'fake' }));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('parses protocol lines and ignores other output', () => {
    assert.deepStrictEqual(parseProtocolLine('{"event":"step","step":5,"steps":10,"loss":0.5}'), {
      event: 'step',
      step: 5,
      steps: 10,
      loss: 0.5,
    });
    assert.strictEqual(parseProtocolLine('loss 0.5'), undefined);
    assert.strictEqual(parseProtocolLine('{"event":"unknown"}'), undefined);
    assert.strictEqual(parseProtocolLine('{"event":"step"'), undefined);
    assert.strictEqual(parseProtocolLine('{"event":"step","step":"x","loss":1}'), undefined);
    assert.deepStrictEqual(parseProtocolLine('  {"event":"checkpoint","step":3,"path":"r/ckpt.pt"}\r'), {
      event: 'checkpoint',
      step: 3,
      path: 'r/ckpt.pt',
    });
    assert.strictEqual(parseProtocolLine('{"event":"error"}')?.event, 'error');
  });

  it('formats a step with loss parts, tokens/s and ETA', () => {
    const s = formatStep({
      event: 'step',
      step: 1200,
      steps: 20000,
      loss: 0.4321,
      mse: 0.31,
      tT: 0.01,
      nll: 0.11,
      lr: 3e-4,
      tokensPerSec: 12345,
      elapsed: 80,
      eta: 1330,
    });
    assert.strictEqual(
      s,
      'step 1200/20000   6% | loss 0.4321 (mse 0.3100 tT 0.0100 nll 0.1100) | lr 3.0e-4 | 12.3k tok/s | 1m20s ETA 22m10s',
    );
  });

  it('prints one line per N steps when not a TTY, and rewrites one line on a TTY', () => {
    const steps: StepEvent[] = Array.from({ length: 1000 }, (_, i) => ({ event: 'step', step: i + 1, steps: 1000, loss: 1 }));
    let text = '';
    const plain = new ProgressDisplay((s) => (text += s), { tty: false, every: 100 });
    for (const e of steps) plain.handle(e);
    const lines = text.trim().split('\n');
    assert.strictEqual(lines.length, 11, 'step 1, then every 100 steps');
    assert.ok(lines[lines.length - 1].startsWith('step 1000/1000'));
    assert.ok(!text.includes('\r'));

    let tty = '';
    const d = new ProgressDisplay((s) => (tty += s), { tty: true, columns: 60, minIntervalMs: 0 });
    d.handle(steps[0]);
    d.handle({ event: 'eval', step: 1, validLoss: 0.5, validBleu: 10 });
    d.handle(steps[1]);
    assert.ok(tty.startsWith('\r\x1b[Kstep 1/1000'));
    assert.ok(tty.includes('\r\x1b[Keval @ step 1: valid loss 0.5000 valid BLEU 10.0000\n'), JSON.stringify(tty));
    for (const seg of tty.split('\r\x1b[K')) assert.ok(seg.replace('\n', '').length <= 59, `line fits the terminal: ${seg}`);
  });

  it('runs a (fake) trainer and reports its events through the async iterator', async () => {
    const argsFile = path.join(tmp, 'args.json');
    const run = startTraining({
      config,
      data: 'some/data',
      maxSteps: 100,
      python: fake,
      trainerRoot: ROOT,
      env: { ...process.env, FAKE_MODE: 'normal', FAKE_ARGS_FILE: argsFile },
    });
    const seen: TrainEvent[] = [];
    for await (const ev of run) seen.push(ev);
    const kinds = seen.map((e) => e.event);
    assert.deepStrictEqual(kinds.filter((k) => k === 'step').length, 10);
    for (const k of ['start', 'eval', 'checkpoint', 'done', 'exit', 'output']) assert.ok(kinds.includes(k as TrainEvent['event']), k);
    const summary = await run.result;
    assert.strictEqual(summary.status, 'done');
    assert.strictEqual(summary.exitCode, 0);
    assert.strictEqual(summary.firstStep?.loss, 1.9);
    assert.strictEqual(summary.lastStep?.loss, 1);
    assert.strictEqual(summary.checkpoint, '/tmp/fake-run/ckpt.pt');
    assert.deepStrictEqual(summary.stderrTail, ['some warning on stderr']);
    assert.ok(seen.some((e) => e.event === 'output' && e.stream === 'stdout' && e.line === 'stray stdout text'));
    const rec = JSON.parse(fs.readFileSync(argsFile, 'utf8')) as {
      args: string[];
      pythonpath: string;
      preload: string | null;
      tunables: string | null;
    };
    assert.deepStrictEqual(rec.args.slice(0, 4), ['-m', 'diffuseq_trainer.train', '--config', config]);
    assert.ok(rec.args.includes('--max-steps') && rec.args.includes(path.resolve('some/data')));
    assert.strictEqual(rec.pythonpath.split(path.delimiter)[0], path.join(ROOT, 'src', 'trainer', 'python'));
    // The trainer runs on the allocator chooseAllocator picked for this machine, and the run says which.
    const alloc = chooseAllocator({ ...process.env, FAKE_MODE: 'normal' });
    assert.strictEqual(rec.preload, alloc.env.LD_PRELOAD ?? process.env.LD_PRELOAD ?? null);
    assert.strictEqual(rec.tunables, alloc.env.GLIBC_TUNABLES ?? process.env.GLIBC_TUNABLES ?? null);
    assert.strictEqual(run.allocator, alloc.description);
  });

  it('reports a trainer error as a failed run', async () => {
    const run = startTraining({ config, python: fake, trainerRoot: ROOT, env: { ...process.env, FAKE_MODE: 'crash' } });
    const s = await run.result;
    assert.strictEqual(s.status, 'failed');
    assert.strictEqual(s.error, 'CUDA out of memory (fake)');
    assert.strictEqual(s.exitCode, 1);
  });

  it('uses torch.distributed.run for several GPUs', () => {
    const c = trainCommand('py', { config: '/c.json', gpus: 4, resume: '/r/ckpt.pt' });
    assert.deepStrictEqual(c, [
      'py',
      '-m',
      'torch.distributed.run',
      '--standalone',
      '--nproc_per_node=4',
      '-m',
      'diffuseq_trainer.train',
      '--config',
      '/c.json',
      '--resume',
      '/r/ckpt.pt',
    ]);
  });

  it('says clearly how to install torch when the Python has none', function () {
    // A Python without torch: the pyenv python3 first on PATH on the dev machine, else a missing executable.
    let noTorch = path.join(tmp, 'no-such-python');
    const r = cp.spawnSync('python3', ['-c', 'import sys\ntry:\n import torch\n print("HAS")\nexcept Exception:\n print(sys.executable)'], {
      encoding: 'utf8',
    });
    if (r.status === 0 && r.stdout.trim() !== 'HAS') noTorch = r.stdout.trim();
    const res = cp.spawnSync(process.execPath, [RUNNER, '--config', config], {
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
    const res = cp.spawnSync(process.execPath, [path.join(ROOT, 'bin', 'diffuseq.js'), 'train', '--config', config], {
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
    const child = cp.spawn(process.execPath, [RUNNER, '--config', config, '--out', path.join(tmp, 'run')], {
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
