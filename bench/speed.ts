/**
 * `npm run bench`: speed of the engine on this machine with the bundled model.
 *
 *   node out/bench/speed.js [--model DIR] [--provider cpu|cuda|webgpu|dml|auto] [--threads N] [--quick] …
 *
 * Every engine job runs in a fresh worker process (bench/worker.ts), one after the other, never in parallel:
 *   1. latency: the grid of bench/lib/grid.ts (axes around 20 words / 8 candidates / 10 steps, plus corners),
 *      each configuration after `--warmup` rewrites, `--min-repeats`…`--repeats` timed rewrites within
 *      `--budget` seconds; load time and peak RSS per worker;
 *   2. reference: the default input with DPM-Solver++ (default steps) and DDPM (all T steps) interleaved in one
 *      worker, giving the speed-up as a ratio;
 *   3. throughput: `--throughput-limit` (200) QQP test sources through engine.rewrite() one after another, and
 *      (when bin/diffuseq.js exists) the same through the `eval` command;
 *   4. activation: dist/extension.js activated in a fresh real extension host (code-server), `--activation-repeats` times.
 * Results: bench/results/<date>-<machine>.json (the `speed` section) and <date>-<machine>.latency.svg.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { overheadVerdict } from './lib/aggregate';
import { flag, num, parseArgs, str } from './lib/args';
import { engineEntry } from './lib/engine';
import { buildGrid, DEFAULT_GRID, GridSpec, parseIntList, pointId, QUICK_GRID } from './lib/grid';
import { log } from './lib/log';
import { dateStamp, machineInfo } from './lib/machine';
import { latencyChart } from './lib/plots';
import { speedMarkdown } from './lib/report';
import { runOptions } from './lib/runOptions';
import { ActivationResult, OVERHEAD_TARGET, resultFileName, SpeedResult, writeSection } from './lib/schema';
import { DEFAULT_NOISY_SPREAD, summarize } from './lib/stats';
import { TASKS, type Task } from '../src/engine';
import { measureActivation } from './speed/activation';
import { FLAGS, OPTIONS, SpeedContext, USAGE } from './speed/context';
import { measureLatencyGrid } from './speed/latency';
import { measureReference } from './speed/reference';
import { measureThroughput } from './speed/throughput';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), FLAGS, OPTIONS);
  if (flag(args, 'help')) {
    log(USAGE);
    return;
  }
  const started = Date.now();
  const { root, quick, verbose, provider, threads, modelDir, model, outDir } = runOptions(args);
  const task = str(args, 'task', 'paraphrase') as Task;
  if (!TASKS.includes(task)) throw new Error(`--task: ${TASKS.join(' or ')}, got ${task}`);
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

  const ctx: SpeedContext = {
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

main().catch((e) => {
  log(`bench: ${(e as Error).message}`);
  process.exit(1);
});
