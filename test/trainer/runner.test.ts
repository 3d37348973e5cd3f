import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chooseAllocator } from '../../src/trainer/allocator';
import { findTrainerRoot } from '../../src/trainer/pythonEnv';
import { StepEvent, TrainEvent, parseProtocolLine, startTraining, trainCommand } from '../../src/trainer/runner';
import { ProgressDisplay, formatStep } from '../../src/trainer/trainProgress';
import { writeFakeTrainer } from './fakeTrainer';

const ROOT = findTrainerRoot(__dirname);

describe('trainer/runner', function () {
  this.timeout(60_000);
  let tmp: string;
  let fake: string;
  let config: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-test-'));
    ({ fake, config } = writeFakeTrainer(tmp));
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
});
