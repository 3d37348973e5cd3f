import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ACTIVATION_OUT_ENV,
  ACTIVATION_TESTS_GREP,
  type ActivationSample,
  activationFromSamples,
  appendActivationSample,
  readActivationSamples,
} from '../../bench/lib/activation';
import { parseArgs } from '../../bench/lib/args';
import { runInWorker } from '../../bench/lib/fork';
import type { WorkerJob } from '../../bench/lib/jobs';
import { speedMarkdown } from '../../bench/lib/report';
import { summarize } from '../../bench/lib/stats';
import { FLAGS, OPTIONS, type SpeedContext } from '../../bench/speed/context';
import { measureActivation } from '../../bench/speed/activation';
import { speedResult } from './fixtures';

const BUNDLE = { path: 'dist/extension.js', bytes: 1000, modified: '2026-12-06T08:00:00.000Z' };
const SAMPLES: ActivationSample[] = [
  { moduleMs: 20, contextMs: 100, activateMs: 2, host: 'code-server 1.100.3' },
  { moduleMs: 10, contextMs: 200, activateMs: 4, host: 'code-server 1.100.3' },
  { moduleMs: 30, contextMs: 150, activateMs: 3, host: 'code-server 1.100.3' },
];

/** A repository root with a bundle and, as the integration runner, `runner` (a Node script). */
function fakeRoot(runner: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-act-'));
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist', 'extension.js'), 'exports.activate = () => undefined;\n');
  const dir = path.join(root, 'out', 'test', 'extension', 'integration');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'runWeb.js'), runner);
  return root;
}

function context(root: string, argv: string[] = []): SpeedContext {
  return {
    args: parseArgs(argv, FLAGS, OPTIONS),
    root,
    base: { modelDir: 'm', provider: 'cpu', task: 'paraphrase', noisySpread: 0.5 },
    quick: false,
    verbose: false,
    timeoutMs: 30_000,
    noisySpread: 0.5,
    notes: [],
    repeats: { warmup: 0, minRepeats: 1, maxRepeats: 1, budgetS: 0, rounds: 1 },
  };
}

describe('bench/activation', () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

  it('appends one sample per line and reads them back (none when the file is missing)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-act-'));
    roots.push(dir);
    const file = path.join(dir, 'samples.jsonl');
    assert.deepEqual(readActivationSamples(file), []);
    appendActivationSample(file, SAMPLES[0]);
    appendActivationSample(file, SAMPLES[1]);
    assert.deepEqual(readActivationSamples(file), SAMPLES.slice(0, 2));
  });

  it("summarizes the parts; the total is the extension's own cost (module + activate(), not the host's context)", () => {
    const a = activationFromSamples(SAMPLES, BUNDLE, 0.5);
    assert.equal(a.status, 'ok');
    assert.equal(a.host, 'code-server 1.100.3');
    // Totals 22, 14, 33: median 22, spread (33 − 14) / 22.
    assert.deepEqual([a.totalMs!.n, a.totalMs!.median, a.totalMs!.min, a.totalMs!.max], [3, 22, 14, 33]);
    assert.equal(a.totalMs!.spread, 19 / 22);
    assert.equal(a.totalMs!.noisy, true);
    assert.equal(a.moduleMs!.median, 20);
    assert.equal(a.activateMs!.median, 3);
    assert.equal(a.contextMs!.median, 150);
    assert.deepEqual(a.bundle, BUNDLE);
    assert.throws(() => activationFromSamples([], BUNDLE, 0.5), /no activation samples/);
  });

  it('shows the real host figures in the report, and still the stub figures of older result files', () => {
    const r = speedResult();
    r.activation = activationFromSamples(SAMPLES, BUNDLE, 0.5);
    const line =
      '| extension activation (module evaluation + activate(), in code-server 1.100.3) | median 22 ms (14 ms–33 ms, n=3): ' +
      'module 20 ms, activate() 3 ms; VS Code preparing the context 150 ms ⚠ noisy |';
    assert.ok(speedMarkdown(r).split('\n').includes(line), speedMarkdown(r));
    const old = speedResult();
    old.activation = {
      status: 'ok',
      bundle: BUNDLE,
      requireMs: summarize([6.76]),
      activateMs: summarize([1.97]),
      totalMs: summarize([8.68]),
      registered: [],
    };
    assert.match(
      speedMarkdown(old),
      /\| extension activation \(require \+ activate, stub vscode\) \| median 8\.68 ms .*require 6\.76 ms, activate\(\) 1\.97 ms/,
    );
  });

  it('starts the integration runner once per repeat, asking it for the activation tests and their samples', async () => {
    // The fake runner records what it was asked and appends one sample, as rewrite.itest.ts does in the host.
    const root = fakeRoot(`
      const fs = require('fs');
      fs.appendFileSync('asked.txt', process.env.DIFFUSEQ_ITEST_GREP + '\\n');
      const n = fs.existsSync(process.env.${ACTIVATION_OUT_ENV}) ? fs.readFileSync(process.env.${ACTIVATION_OUT_ENV}, 'utf8').split('\\n').length - 1 : 0;
      fs.appendFileSync(process.env.${ACTIVATION_OUT_ENV}, JSON.stringify({ moduleMs: 10 * (n + 1), contextMs: 100, activateMs: 2, host: 'fake 1.0' }) + '\\n');
    `);
    roots.push(root);
    const a = await measureActivation(context(root, ['--activation-repeats', '2']));
    assert.equal(a.status, 'ok', a.reason);
    assert.equal(a.host, 'fake 1.0');
    assert.deepEqual([a.moduleMs!.n, a.moduleMs!.min, a.moduleMs!.max], [2, 10, 20]);
    assert.equal(a.totalMs!.median, 17);
    assert.equal(a.bundle!.path, path.join('dist', 'extension.js'));
    assert.equal(fs.readFileSync(path.join(root, 'asked.txt'), 'utf8'), `${ACTIVATION_TESTS_GREP}\n${ACTIVATION_TESTS_GREP}\n`);
  });

  it('is skipped when the runner finds no code-server, and fails with the runner output when the host fails', async () => {
    const skip = fakeRoot(`console.log('SKIP test:integration:web: missing code-server');`);
    const fail = fakeRoot(`console.log('1 integration test(s) failed'); process.exit(1);`);
    roots.push(skip, fail);
    const s = await measureActivation(context(skip));
    assert.equal(s.status, 'skipped');
    assert.match(s.reason!, /missing code-server/);
    const f = await measureActivation(context(fail, ['--activation-repeats', '1']));
    assert.equal(f.status, 'failed');
    assert.match(f.reason!, /exited 1 without a sample: 1 integration test\(s\) failed/);
    const none = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-act-'));
    roots.push(none);
    assert.deepEqual(await measureActivation(context(none)), {
      status: 'skipped',
      reason: 'dist/extension.js not found: run `npm run bundle` first',
    });
  });

  it('reports a worker failure with its message', async () => {
    await assert.rejects(runInWorker({ type: 'nope' } as unknown as WorkerJob, { timeoutMs: 30_000 }), /unknown job nope/);
  });
});
