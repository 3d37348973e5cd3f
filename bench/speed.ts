/**
 * `npm run bench`: speed of the engine on this machine with the bundled model.
 *
 *   node out/bench/speed.js [--model DIR] [--provider cpu|cuda|webgpu|dml|auto] [--threads N] [--quick] …
 *
 * Every job runs in a fresh worker process (bench/worker.ts), one after the other, never in parallel:
 *   1. latency: the grid of bench/lib/grid.ts (axes around 20 words / 8 candidates / 10 steps, plus corners),
 *      each configuration after `--warmup` rewrites, `--min-repeats`…`--repeats` timed rewrites within
 *      `--budget` seconds; load time and peak RSS per worker;
 *   2. reference: the default input with DPM-Solver++ (default steps) and DDPM (all T steps) interleaved in one
 *      worker, giving the speed-up as a ratio;
 *   3. throughput: `--throughput-limit` (200) QQP test sources through engine.rewrite() one after another, and
 *      (when bin/diffuseq.js exists) the same through the `eval` command;
 *   4. activation: dist/extension.js required and activated with a stub `vscode`, `--activation-repeats` times.
 * Results: bench/results/<date>-<machine>.json (the `speed` section) and <date>-<machine>.latency.svg.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mergeRounds, overheadVerdict } from './lib/aggregate';
import { flag, num, parseArgs, str } from './lib/args';
import { parseEvalJson, runEvalCommand } from './lib/evalCli';
import { dataDir, defaultModelDir, engineEntry, modelInfo, repoRoot } from './lib/engine';
import { runInWorker } from './lib/fork';
import { buildGrid, DEFAULT_GRID, GridSpec, parseIntList, pointId, QUICK_GRID } from './lib/grid';
import { dateStamp, machineInfo } from './lib/machine';
import { latencyChart } from './lib/plots';
import { speedMarkdown } from './lib/report';
import { ActivationResult, ConfigResult, OVERHEAD_TARGET, resultFileName, SpeedResult, writeSection } from './lib/schema';
import { DEFAULT_NOISY_SPREAD, formatMs, formatSummaryMs, ratioOfSummaries, summarize } from './lib/stats';
import { TASKS, type Task } from '../src/engine/types';
import type { ActivationReply, EngineJobBase, LatencyReply, ReferenceReply, ThroughputReply } from './worker';

const FLAGS = ['quick', 'verbose', 'ddpm', 'throughput', 'activation', 'eval', 'corners', 'help'];
const OPTIONS = [
  'model',
  'provider',
  'threads',
  'task',
  'warmup',
  'repeats',
  'min-repeats',
  'budget',
  'rounds',
  'words',
  'candidates',
  'steps',
  'ddpm-repeats',
  'reference-candidates',
  'throughput-limit',
  'activation-repeats',
  'data',
  'out',
  'noisy',
  'timeout',
  'ddpm-timeout',
  'bundle',
];

const USAGE = `usage: npm run bench -- [options]      (node out/bench/speed.js [options])
  --model DIR              model package (default $DIFFUSEQ_MODEL or models/default)
  --provider NAME          cpu (default) | cuda | webgpu | dml | coreml | auto
  --threads N              onnxruntime intra-op threads (default: onnxruntime's choice)
  --task T                 paraphrase (default) | simplify
  --warmup N               untimed rewrites per configuration (default 2)
  --min-repeats N          timed rewrites at least (default 5)
  --repeats N              timed rewrites at most (default 15)
  --budget S               seconds of timed rewrites per configuration after min-repeats (default 8)
  --rounds N               measure every configuration in N separate workers, pooled (default 1; 2–3 on a busy machine)
  --words/--candidates/--steps LIST   override an axis, e.g. --steps 1,5,10
  --no-corners             leave out the four corner configurations (e.g. to time one point)
  --ddpm-repeats N         DDPM (T steps) repeats for the speed-up (default 1: it is slow; --no-ddpm to skip)
  --reference-candidates N candidates of the DDPM/DPM comparison (default: the default's 8; --quick: 1)
  --throughput-limit N     test sentences for throughput (default 200; --no-throughput to skip)
  --eval                   also time the eval command over the same sentences (process start and load included)
  --activation-repeats N   cold activations of dist/extension.js (default 5; --no-activation to skip)
  --bundle FILE            the bundled extension (default dist/extension.js)
  --data DIR               data folder (default $DIFFUSEQ_DATA or ../shared/data)
  --out DIR                results folder (default bench/results)
  --noisy R                flag a figure whose (max − min)/median exceeds R (default ${DEFAULT_NOISY_SPREAD})
  --quick                  a short run for development: small grid, 1 warm-up, 3 repeats, 20 sentences, 1 DDPM
  --verbose                echo the workers' output`;

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** What every measurement section of main() reads. */
interface BenchContext {
  args: ReturnType<typeof parseArgs>;
  root: string;
  /** The worker fields every job carries (model, provider, threads, task, noise spread). */
  base: EngineJobBase;
  quick: boolean;
  verbose: boolean;
  timeoutMs: number;
  noisySpread: number;
  /** Notes for the result file; the sections append to it. */
  notes: string[];
  repeats: { warmup: number; minRepeats: number; maxRepeats: number; budgetS: number; rounds: number };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), FLAGS, OPTIONS);
  if (flag(args, 'help')) {
    log(USAGE);
    return;
  }
  const started = Date.now();
  const root = repoRoot();
  const quick = flag(args, 'quick');
  const provider = str(args, 'provider', 'cpu');
  const threadsOpt = num(args, 'threads', 0, { integer: true, min: 0 });
  const threads = threadsOpt > 0 ? threadsOpt : undefined;
  const task = str(args, 'task', 'paraphrase') as Task;
  if (!TASKS.includes(task)) throw new Error(`--task: ${TASKS.join(' or ')}, got ${task}`);
  const modelDir = path.resolve(str(args, 'model') ?? defaultModelDir(root));
  const model = modelInfo(modelDir, root);
  if (!fs.existsSync(engineEntry(root))) {
    throw new Error(`the engine is not built (${path.relative(root, engineEntry(root))}); run \`npx tsc -p .\``);
  }
  const warmup = num(args, 'warmup', quick ? 1 : 2, { integer: true, min: 0 });
  const minRepeats = num(args, 'min-repeats', quick ? 3 : 5, { integer: true, min: 1 });
  const maxRepeats = Math.max(minRepeats, num(args, 'repeats', quick ? 3 : 15, { integer: true, min: 1 }));
  const budgetS = num(args, 'budget', quick ? 2 : 8, { min: 0 });
  const rounds = num(args, 'rounds', 1, { integer: true, min: 1 });
  const noisySpread = num(args, 'noisy', DEFAULT_NOISY_SPREAD, { min: 0 });
  const timeoutMs = num(args, 'timeout', 600, { min: 1 }) * 1000;
  const ddpmTimeoutMs = num(args, 'ddpm-timeout', 3600, { min: 1 }) * 1000;
  const verbose = flag(args, 'verbose');
  const outDir = path.resolve(str(args, 'out') ?? path.join(root, 'bench', 'results'));

  const spec: GridSpec = JSON.parse(JSON.stringify(quick ? QUICK_GRID : DEFAULT_GRID));
  const w = str(args, 'words');
  const c = str(args, 'candidates');
  const k = str(args, 'steps');
  if (w) spec.words = parseIntList(w, '--words');
  if (c) spec.candidates = parseIntList(c, '--candidates');
  if (k) spec.steps = parseIntList(k, '--steps');
  if (!flag(args, 'corners', true)) spec.corners = [];
  const grid = buildGrid(spec);
  const defaultId = pointId(spec.default.words, spec.default.candidates, spec.default.steps);
  const machine = machineInfo(root, provider);
  const notes: string[] = [];
  const base = { modelDir, provider, threads, task, noisySpread };

  log(
    `bench: model ${model.name} (${model.dir}), provider ${provider}, ${machine.cpuModel} × ${machine.cores}, load average ${machine.loadAverageStart.join(' ')}`,
  );
  if (machine.loadAverageStart[0] > machine.cores * 0.5) {
    const n = `the machine was busy when the run started (1-min load average ${machine.loadAverageStart[0]} on ${machine.cores} cores): absolute times are pessimistic and noisy`;
    notes.push(n);
    log(`bench: note: ${n}`);
  }

  const ctx: BenchContext = {
    args,
    root,
    base,
    quick,
    verbose,
    timeoutMs,
    noisySpread,
    notes,
    repeats: { warmup, minRepeats, maxRepeats, budgetS, rounds },
  };
  // 1. Latency grid.
  const configs = await measureLatencyGrid(ctx, grid);
  const executionProvider = configs[0].executionProvider;
  if (provider !== 'auto' && executionProvider !== provider) {
    const n = `asked for provider ${provider} but the engine ran on ${executionProvider} (fallback): these are not ${provider} figures`;
    notes.push(n);
    log(`bench: WARNING: ${n}`);
  }
  // 2. DDPM reference.
  const reference = flag(args, 'ddpm', true) ? await measureReference(ctx, spec, model, ddpmTimeoutMs) : undefined;
  // 3. Throughput.
  const { throughput, evalThroughput } = await measureThroughput(ctx, spec);
  // 4. Extension activation.
  const activation: ActivationResult = flag(args, 'activation', true)
    ? await measureActivation(ctx)
    : { status: 'skipped', reason: '--no-activation' };

  machine.loadAverageEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const noisy = configs.filter((x) => x.wallMs.noisy);
  if (noisy.length > 0) {
    notes.push(
      `${noisy.length} of ${configs.length} configurations are noisy (min–max spread > ${noisySpread * 100} % of the median): ${noisy.map((x) => x.id).join(', ')}`,
    );
  }
  const result: SpeedResult = {
    kind: 'speed',
    createdAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    command: `node out/bench/speed.js ${process.argv.slice(2).join(' ')}`.trim(),
    model,
    provider,
    executionProvider,
    threads,
    settings: { task, warmup, minRepeats, maxRepeats, budgetPerConfigS: budgetS, noisySpread, grid: quick ? 'quick' : 'default', rounds },
    machine,
    loadMs: summarize(
      configs.map((x) => x.loadMs),
      noisySpread,
    ),
    activation,
    configs,
    defaultId: configs.some((x) => x.id === defaultId) ? defaultId : configs[0].id,
    overhead: overheadVerdict(configs, defaultId, OVERHEAD_TARGET),
    reference,
    throughput,
    evalThroughput,
    peakRssMiB: Math.max(...configs.map((x) => x.rss.peakMiB), reference?.ddpm.rss.peakMiB ?? 0, throughput?.peakRssMiB ?? 0),
    notes,
  };
  const date = dateStamp(new Date(started));
  const written = writeSection(outDir, date, machine.slug, result);
  const svg = path.join(outDir, resultFileName(date, machine.slug).replace(/\.json$/, '.latency.svg'));
  fs.writeFileSync(svg, latencyChart(result));
  process.stdout.write(`${speedMarkdown(result)}\n`);
  log(`bench: wrote ${path.relative(root, written)} and ${path.relative(root, svg)} in ${result.durationS} s`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** 1. The latency grid: every configuration in a fresh worker, `rounds` times, pooled. */
async function measureLatencyGrid(ctx: BenchContext, grid: ReturnType<typeof buildGrid>): Promise<ConfigResult[]> {
  const { base, timeoutMs, verbose, noisySpread, notes } = ctx;
  const { warmup, minRepeats, maxRepeats, budgetS, rounds } = ctx.repeats;
  const configs: ConfigResult[] = [];
  const failures: string[] = [];
  const total = grid.length * rounds;
  let done = 0;
  const perPoint = new Map<string, ConfigResult[]>();
  for (let round = 0; round < rounds; round++) {
    // Later rounds go through the grid in reverse so slow drifts of the machine's load do not line up with an axis.
    const order = round % 2 === 0 ? grid : [...grid].reverse();
    for (const p of order) {
      done++;
      try {
        const reply = await runInWorker<LatencyReply>(
          {
            type: 'latency',
            ...base,
            id: p.id,
            axes: p.axes,
            words: p.words,
            candidates: p.candidates,
            steps: p.steps,
            warmup,
            minRepeats,
            maxRepeats,
            budgetMs: budgetS * 1000,
          },
          { timeoutMs, verbose },
        );
        const list = perPoint.get(p.id) ?? [];
        list.push(reply.config);
        perPoint.set(p.id, list);
        const cfg = reply.config;
        log(
          `[${done}/${total}] ${p.id.padEnd(12)} ${formatSummaryMs(cfg.wallMs)}  overhead ${(cfg.overhead.median * 100).toFixed(1)} %  ` +
            `load ${formatMs(cfg.loadMs)}  peak RSS ${cfg.rss.peakMiB} MiB${cfg.segments > 1 ? `  ${cfg.segments} segments` : ''}`,
        );
      } catch (e) {
        failures.push(`${p.id}: ${(e as Error).message.split('\n')[0]}`);
        log(`[${done}/${total}] ${p.id} FAILED: ${(e as Error).message}`);
      }
    }
  }
  for (const p of grid) {
    const list = perPoint.get(p.id);
    if (list) configs.push(mergeRounds(list, noisySpread));
  }
  if (configs.length === 0) {
    throw new Error(`every latency configuration failed:\n  ${failures.join('\n  ')}`);
  }
  if (failures.length > 0) notes.push(`failed configurations: ${failures.join('; ')}`);

  return configs;
}

/** 2. The DDPM reference: DPM-Solver++ against DiffuSeq's T-step sampler on the default point. */
async function measureReference(
  ctx: BenchContext,
  spec: GridSpec,
  model: ReturnType<typeof modelInfo>,
  ddpmTimeoutMs: number,
): Promise<SpeedResult['reference']> {
  const { args, base, quick, verbose, notes } = ctx;
  const { warmup, minRepeats } = ctx.repeats;
  let reference: SpeedResult['reference'];
  const d = spec.default;
  const ddpmRepeats = num(args, 'ddpm-repeats', 1, { integer: true, min: 1 });
  const refC = num(args, 'reference-candidates', quick ? 1 : d.candidates, { integer: true, min: 1 });
  log(
    `reference: ${d.words} words, ${refC} candidates: DPM-Solver++ ${d.steps} steps vs DDPM ${model.diffusionSteps ?? 'T'} steps × ${ddpmRepeats} …`,
  );
  try {
    const r = await runInWorker<ReferenceReply>(
      {
        type: 'reference',
        ...base,
        words: d.words,
        candidates: refC,
        steps: d.steps,
        warmup,
        dpmRepeatsPerBlock: Math.max(2, Math.ceil(minRepeats / 2)),
        ddpmRepeats,
      },
      { timeoutMs: ddpmTimeoutMs, verbose },
    );
    if (model.diffusionSteps) r.ddpm.steps = model.diffusionSteps;
    reference = {
      words: d.words,
      candidates: refC,
      dpm: r.dpm,
      ddpm: r.ddpm,
      speedup: ratioOfSummaries(r.ddpm.wallMs, r.dpm.wallMs),
      speedupCpu: ratioOfSummaries(r.ddpm.cpuMs, r.dpm.cpuMs),
    };
    const x = (v: { ratio: number; low: number; high: number }) => `×${v.ratio.toFixed(1)} (×${v.low.toFixed(1)}–×${v.high.toFixed(1)})`;
    log(
      `reference: DPM ${formatSummaryMs(r.dpm.wallMs)}; DDPM ${formatSummaryMs(r.ddpm.wallMs)}; speed-up ${x(reference.speedup)}, by CPU time ${x(reference.speedupCpu!)}`,
    );
  } catch (e) {
    notes.push(`DDPM reference failed: ${(e as Error).message.split('\n')[0]}`);
    log(`reference FAILED: ${(e as Error).message}`);
  }

  return reference;
}

/** 3. Throughput over test sentences (rewrite() one by one, then rewriteBatch()), and with --eval the CLI's. */
async function measureThroughput(
  ctx: BenchContext,
  spec: GridSpec,
): Promise<{ throughput: SpeedResult['throughput']; evalThroughput: SpeedResult['evalThroughput'] }> {
  const { args, root, base, quick, verbose, timeoutMs, notes } = ctx;
  const { task, modelDir, provider, threads } = base;
  const { warmup } = ctx.repeats;
  let throughput: SpeedResult['throughput'];
  let evalThroughput: SpeedResult['evalThroughput'];
  const d = spec.default;
  const limit = num(args, 'throughput-limit', quick ? 20 : 200, { integer: true, min: 1 });
  const data = path.resolve(str(args, 'data') ?? dataDir(root));
  const file = path.join(data, task === 'paraphrase' ? 'qqp' : 'asset', 'test.jsonl');
  if (flag(args, 'throughput', true)) {
    if (!fs.existsSync(file)) {
      notes.push(`throughput skipped: ${file} not found (set DIFFUSEQ_DATA or --data)`);
      log(`throughput: skipped, ${file} not found`);
    } else {
      log(
        `throughput: ${limit} sentences of ${path.relative(root, file)}, ${d.candidates} candidates, ${d.steps} steps: rewrite() one by one, then rewriteBatch() 16 at a time …`,
      );
      try {
        const t = await runInWorker<ThroughputReply>(
          { type: 'throughput', ...base, file, limit, candidates: d.candidates, steps: d.steps, warmup },
          { timeoutMs: Math.max(timeoutMs, limit * 30_000), verbose },
        );
        throughput = {
          file: path.relative(root, file),
          sentences: t.sentences,
          candidates: d.candidates,
          steps: d.steps,
          sequential: { seconds: t.seconds, sentencesPerSecond: t.sentences / t.seconds },
          batch: t.batchSeconds !== undefined ? { seconds: t.batchSeconds, sentencesPerSecond: t.sentences / t.batchSeconds } : undefined,
          peakRssMiB: t.rss.peakMiB,
        };
        log(
          `throughput: sequential ${throughput.sequential.sentencesPerSecond.toFixed(2)} sentences/s (${t.seconds.toFixed(1)} s)` +
            (throughput.batch
              ? `, rewriteBatch ${throughput.batch.sentencesPerSecond.toFixed(2)} sentences/s (${throughput.batch.seconds.toFixed(1)} s)`
              : '') +
            `, peak RSS ${t.rss.peakMiB} MiB`,
        );
      } catch (e) {
        notes.push(`throughput failed: ${(e as Error).message.split('\n')[0]}`);
        log(`throughput FAILED: ${(e as Error).message}`);
      }
      if (flag(args, 'eval', false)) {
        const evalArgs = [
          '--task',
          task,
          '--data',
          file,
          '--model',
          modelDir,
          '--candidates',
          String(d.candidates),
          '--steps',
          String(d.steps),
          '--limit',
          String(limit),
          '--provider',
          provider,
          '--json',
        ];
        if (threads) evalArgs.push('--threads', String(threads));
        const command = `node bin/diffuseq.js eval ${evalArgs.map((a) => (path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}`;
        if (!fs.existsSync(path.join(root, 'bin', 'diffuseq.js'))) {
          evalThroughput = {
            command,
            sentences: limit,
            seconds: 0,
            sentencesPerSecond: 0,
            status: 'skipped',
            reason: 'bin/diffuseq.js not found',
          };
        } else {
          log(`throughput: the same through \`${command}\` …`);
          try {
            const r = await runEvalCommand(root, evalArgs, Math.max(timeoutMs, limit * 30_000));
            if (r.code !== 0) {
              const why = r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
              evalThroughput = { command, sentences: limit, seconds: r.seconds, sentencesPerSecond: 0, status: 'failed', reason: why };
            } else {
              const rep = parseEvalJson(r.stdout);
              const wall = rep.timing?.wallSeconds;
              evalThroughput = {
                command,
                sentences: rep.examples,
                seconds: r.seconds,
                sentencesPerSecond: rep.examples / r.seconds,
                rewriteSeconds: wall,
                rewriteSentencesPerSecond: wall ? rep.examples / wall : undefined,
                status: 'ok',
              };
            }
            log(
              `throughput (eval command): ${
                evalThroughput.status === 'ok'
                  ? `${evalThroughput.sentencesPerSecond.toFixed(2)} sentences/s with process start, load and scoring; ` +
                    `${evalThroughput.rewriteSentencesPerSecond?.toFixed(2) ?? '?'} sentences/s rewriting only`
                  : evalThroughput.reason
              }`,
            );
          } catch (e) {
            evalThroughput = {
              command,
              sentences: limit,
              seconds: 0,
              sentencesPerSecond: 0,
              status: 'failed',
              reason: (e as Error).message,
            };
          }
        }
      }
    }
  }

  return { throughput, evalThroughput };
}

/** 4. Cold activations of the bundled extension in fresh workers (a stub VS Code API). */
async function measureActivation(ctx: BenchContext): Promise<ActivationResult> {
  const { args, root, quick, verbose, noisySpread, notes } = ctx;
  let activation: ActivationResult;
  const bundle = path.resolve(str(args, 'bundle') ?? path.join(root, 'dist', 'extension.js'));
  if (!fs.existsSync(bundle)) {
    activation = { status: 'skipped', reason: `${path.relative(root, bundle)} not found: run \`npm run bundle\` first` };
    log(`activation: skipped (${activation.reason})`);
  } else {
    const st = fs.statSync(bundle);
    const reps = num(args, 'activation-repeats', quick ? 2 : 5, { integer: true, min: 1 });
    const replies: ActivationReply[] = [];
    try {
      for (let i = 0; i < reps; i++) {
        replies.push(
          await runInWorker<ActivationReply>({ type: 'activation', bundle, extensionRoot: root }, { timeoutMs: 120_000, verbose }),
        );
      }
      activation = {
        status: 'ok',
        bundle: { path: path.relative(root, bundle), bytes: st.size, modified: st.mtime.toISOString() },
        requireMs: summarize(
          replies.map((r) => r.requireMs),
          noisySpread,
        ),
        activateMs: summarize(
          replies.map((r) => r.activateMs),
          noisySpread,
        ),
        totalMs: summarize(
          replies.map((r) => r.requireMs + r.activateMs),
          noisySpread,
        ),
        registered: replies[0].registered,
      };
      log(
        `activation: ${formatSummaryMs(activation.totalMs!)} (require ${formatMs(activation.requireMs!.median)}, activate() ${formatMs(activation.activateMs!.median)})`,
      );
      const srcNewest = newestMtime(path.join(root, 'src', 'extension'));
      if (srcNewest > st.mtimeMs) {
        notes.push('dist/extension.js is older than src/extension: activation was measured on a stale bundle (run `npm run bundle`)');
      }
    } catch (e) {
      activation = { status: 'failed', reason: (e as Error).message.split('\n').slice(0, 3).join(' | ') };
      log(`activation FAILED: ${(e as Error).message}`);
    }
  }

  return activation;
}

main().catch((e) => {
  log(`bench: ${(e as Error).message}`);
  process.exit(1);
});
