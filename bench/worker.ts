/**
 * The measuring child process of `npm run bench`. The parent (bench/speed.ts) forks one worker per job so that
 * each configuration gets a fresh process: its model load time and its peak RSS
 * (process.resourceUsage().maxRSS) belong to that configuration alone. The job comes in as the first IPC
 * message; the worker answers with one `{ ok, result | error }` message and exits.
 */
import * as fs from 'fs';
import type { RewriteOptions, RewriteResult } from '../src/engine';
import { BenchEngine, loadEngineModule, readJsonl, repoRoot } from './lib/engine';
import { benchText } from './lib/inputs';
import type {
  EngineJobBase,
  LatencyJob,
  LatencyReply,
  ReferenceJob,
  ReferenceReply,
  ThroughputJob,
  ThroughputReply,
  WorkerJob,
  WorkerReply,
} from './lib/jobs';
import type { ConfigResult, RssInfo, Stage } from './lib/schema';
import { STAGES } from './lib/schema';
import { median, repeatTimed, summarize } from './lib/stats';

const MiB = 1024 * 1024;
const rssMiB = () => Math.round((process.memoryUsage().rss / MiB) * 10) / 10;
/** Peak RSS of this process so far (maxRSS is in KiB on every platform Node supports). */
const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

interface Sample {
  wallMs: number;
  cpuMs: number;
  result: RewriteResult;
}

async function timedRewrite(engine: BenchEngine, text: string, opts: RewriteOptions): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await engine.rewrite(text, opts);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, result };
}

async function loadEngine(
  job: EngineJobBase,
): Promise<{ engine: BenchEngine; loadMs: number; baselineMiB: number; afterLoadMiB: number; log: string[] }> {
  const baselineMiB = rssMiB();
  const mod = loadEngineModule(repoRoot());
  const log: string[] = [];
  const t0 = performance.now();
  const engine = await mod.RewriteEngine.load(job.modelDir, {
    executionProvider: job.provider as never,
    threads: job.threads,
    log: (m) => log.push(m),
  });
  const loadMs = performance.now() - t0;
  return { engine, loadMs, baselineMiB, afterLoadMiB: rssMiB(), log };
}

/** Sources per rewriteBatch() call in the throughput job: the eval command's default (--batch 16). */
export const EVAL_BATCH_SOURCES = 16;

/** Slow configurations need no second warm-up: after one that took over this, the rest are skipped. */
const LONG_WARMUP_MS = 5000;

/** Runs up to `n` untimed rewrites (at least one when n ≥ 1); returns how many ran. */
export async function warmUp(n: number, fn: (i: number) => Promise<unknown>, now: () => number = () => performance.now()): Promise<number> {
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await fn(i);
    if (now() - t0 > LONG_WARMUP_MS) {
      return i + 1;
    }
  }
  return n;
}

/** Builds a ConfigResult from the timed samples. */
export function configFromSamples(
  base: Omit<ConfigResult, 'wallMs' | 'cpuMs' | 'stagesMs' | 'overhead' | 'segments' | 'executionProvider' | 'warnings' | 'samples'>,
  samples: Sample[],
  noisySpread: number,
): ConfigResult {
  const stagesMs = {} as Record<Stage, number>;
  for (const s of STAGES) {
    stagesMs[s] = median(samples.map((x) => x.result.timings[s] ?? 0));
  }
  const overheads = samples
    .filter((x) => x.result.timings.total > 0)
    .map((x) => Math.max(0, 1 - x.result.timings.network / x.result.timings.total));
  const warnings = [...new Set(samples.flatMap((x) => x.result.warnings ?? []))];
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    ...base,
    wallMs: summarize(
      samples.map((x) => x.wallMs),
      noisySpread,
    ),
    cpuMs: summarize(
      samples.map((x) => x.cpuMs),
      noisySpread,
    ),
    stagesMs,
    // A ratio, not a time: its spread is not flagged.
    overhead: summarize(overheads.length > 0 ? overheads : [0], Infinity),
    segments: samples[samples.length - 1].result.segments,
    executionProvider: samples[samples.length - 1].result.executionProvider,
    samples: {
      wallMs: samples.map((x) => r2(x.wallMs)),
      cpuMs: samples.map((x) => r2(x.cpuMs)),
      overhead: overheads.map((x) => Math.round(x * 10000) / 10000),
      network: samples.map((x) => r2(x.result.timings.network)),
      total: samples.map((x) => r2(x.result.timings.total)),
    },
    workers: 1,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

async function runLatency(job: LatencyJob): Promise<LatencyReply> {
  const { engine, loadMs, baselineMiB, afterLoadMiB } = await loadEngine(job);
  const text = benchText(job.words);
  const opts = (i: number): RewriteOptions => ({
    task: job.task,
    candidates: job.candidates,
    steps: job.steps,
    sampler: 'dpm',
    seed: 1000 + i,
  });
  await warmUp(job.warmup, (i) => engine.rewrite(text, opts(-1 - i)));
  const samples = await repeatTimed((i) => timedRewrite(engine, text, opts(i)), {
    minRepeats: job.minRepeats,
    maxRepeats: job.maxRepeats,
    budgetMs: job.budgetMs,
  });
  const rss: RssInfo = { baselineMiB, afterLoadMiB, peakMiB: peakRssMiB() };
  await engine.dispose?.();
  const config = configFromSamples(
    {
      id: job.id,
      axes: job.axes,
      words: job.words,
      candidates: job.candidates,
      steps: job.steps,
      sampler: 'dpm',
      task: job.task,
      warmup: job.warmup,
      loadMs,
      rss,
    },
    samples,
    job.noisySpread,
  );
  return { config };
}

async function runReference(job: ReferenceJob): Promise<ReferenceReply> {
  const { engine, loadMs, baselineMiB, afterLoadMiB } = await loadEngine(job);
  const text = benchText(job.words);
  const dpmOpts = (i: number): RewriteOptions => ({
    task: job.task,
    candidates: job.candidates,
    steps: job.steps,
    sampler: 'dpm',
    seed: 2000 + i,
  });
  // The model's full T steps: `steps` left out, as the engine's ddpm default is T.
  const ddpmOpts = (i: number): RewriteOptions => ({ task: job.task, candidates: job.candidates, sampler: 'ddpm', seed: 3000 + i });
  await warmUp(job.warmup, (i) => engine.rewrite(text, dpmOpts(-1 - i)));
  const dpm: Sample[] = [];
  const ddpm: Sample[] = [];
  const dpmBlock = async () => {
    for (let i = 0; i < job.dpmRepeatsPerBlock; i++) {
      dpm.push(await timedRewrite(engine, text, dpmOpts(dpm.length)));
    }
  };
  for (let r = 0; r < job.ddpmRepeats; r++) {
    await dpmBlock();
    ddpm.push(await timedRewrite(engine, text, ddpmOpts(r)));
  }
  await dpmBlock();
  const rss: RssInfo = { baselineMiB, afterLoadMiB, peakMiB: peakRssMiB() };
  await engine.dispose?.();
  const base = { words: job.words, candidates: job.candidates, task: job.task, warmup: job.warmup, loadMs, rss };
  return {
    dpm: configFromSamples(
      { ...base, id: `ref-dpm-k${job.steps}`, axes: ['reference'], steps: job.steps, sampler: 'dpm' },
      dpm,
      job.noisySpread,
    ),
    ddpm: configFromSamples({ ...base, id: 'ref-ddpm', axes: ['reference'], steps: -1, sampler: 'ddpm' }, ddpm, job.noisySpread),
  };
}

async function runThroughput(job: ThroughputJob): Promise<ThroughputReply> {
  const rows = readJsonl<{ src?: string }>(job.file, job.limit);
  const texts = rows.map((r) => (typeof r.src === 'string' ? r.src.trim() : '')).filter((s) => s.length > 0);
  const { engine, loadMs, baselineMiB, afterLoadMiB } = await loadEngine(job);
  let executionProvider = job.provider;
  const opts = (seed: number): RewriteOptions => ({ task: job.task, candidates: job.candidates, steps: job.steps, seed });
  for (let i = 0; i < job.warmup && i < texts.length; i++) {
    await engine.rewrite(texts[i], opts(1 + i));
  }
  // Sequential: one rewrite() per sentence, as the editor does.
  let t0 = performance.now();
  for (let i = 0; i < texts.length; i++) {
    const r = await engine.rewrite(texts[i], opts(4000 + i));
    executionProvider = r.executionProvider;
  }
  const seconds = (performance.now() - t0) / 1000;
  // Batched as the eval command does it: sources sorted by sequence length, rewriteBatch() on 16 at a time.
  let batchSeconds: number | undefined;
  if (typeof engine.rewriteBatch === 'function') {
    t0 = performance.now();
    const order = texts.map((t, i) => ({ t, L: engine.plan ? Math.max(...engine.plan(t, job.task).map((p) => p.L)) : 0, i }));
    order.sort((a, b) => a.L - b.L || a.i - b.i);
    for (let b = 0; b < order.length; b += EVAL_BATCH_SOURCES) {
      await engine.rewriteBatch(
        order.slice(b, b + EVAL_BATCH_SOURCES).map((x) => x.t),
        opts(5000 + b),
      );
    }
    batchSeconds = (performance.now() - t0) / 1000;
  }
  const rss: RssInfo = { baselineMiB, afterLoadMiB, peakMiB: peakRssMiB() };
  await engine.dispose?.();
  return { sentences: texts.length, seconds, batchSeconds, loadMs, executionProvider, rss, skippedEmpty: rows.length - texts.length };
}

export async function runJob(job: WorkerJob): Promise<unknown> {
  switch (job.type) {
    case 'latency':
      return runLatency(job);
    case 'reference':
      return runReference(job);
    case 'throughput':
      return runThroughput(job);
    default:
      throw new Error(`unknown job ${(job as { type: string }).type}`);
  }
}

if (require.main === module) {
  if (!process.send) {
    // Run by hand: node out/bench/worker.js '<job json>' prints the reply.
    const arg = process.argv[2];
    if (!arg) {
      process.stderr.write('usage: node out/bench/worker.js \'{"type":"latency",…}\' (normally forked by bench/speed.ts)\n');
      process.exit(2);
    }
    const job = JSON.parse(arg.startsWith('{') ? arg : fs.readFileSync(arg, 'utf8')) as WorkerJob;
    runJob(job).then(
      (r) => {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        process.exit(0);
      },
      (e) => {
        process.stderr.write(`${(e as Error).stack ?? e}\n`);
        process.exit(1);
      },
    );
  } else {
    process.once('message', (job: WorkerJob) => {
      runJob(job).then(
        (result) => process.send!({ ok: true, result } satisfies WorkerReply, () => process.exit(0)),
        (e) => process.send!({ ok: false, error: (e as Error).stack ?? String(e) } satisfies WorkerReply, () => process.exit(1)),
      );
    });
  }
}
