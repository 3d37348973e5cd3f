/**
 * `npm run bench:quality`: quality vs sampling cost, through the `eval` command.
 *
 *   node out/bench/quality.js [--model DIR] [--limit N] [--reference-limit N] [--minutes M] [--provider P] …
 *
 * For each task (paraphrase on qqp/test.jsonl, simplify on asset/test.jsonl) it runs
 *   - the sweep: `diffuseq eval` for every steps × candidates (1, 2, 5, 10, 20 × 1, 5, 10) on the first --limit
 *     sentences;
 *   - the reference: on the first --reference-limit sentences, DPM-Solver++ at every step count and DDPM with the
 *     model's full T steps (the original DiffuSeq sampler), both with --reference-candidates candidates.
 * Before the sweep two short probes measure the cost of the sweep and of the reference runs; when the projected time
 * exceeds --minutes, the limits are scaled down (recorded in the result) unless they were given explicitly.
 * The result file is rewritten after every eval run, so an interrupted run keeps what it measured.
 * Results: bench/results/<date>-<machine>.json (`quality` section), <…>.quality-steps.svg, <…>.quality-diversity.svg.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { flag, num, parseArgs, str } from './lib/args';
import { dataDir, engineEntry } from './lib/engine';
import { evalArgs, evalCommandLine, parseEvalJson, qualityRunFromEval, runEvalCommand } from './lib/evalCli';
import { parseIntList } from './lib/grid';
import { log } from './lib/log';
import { dateStamp, machineInfo } from './lib/machine';
import { qualityDiversityChart, qualityStepsChart } from './lib/plots';
import { qualityMarkdown } from './lib/report';
import { runOptions } from './lib/runOptions';
import { QualityResult, QualityRun, resultFileName, writeSection } from './lib/schema';

const FLAGS = ['quick', 'verbose', 'reference', 'help'];
const OPTIONS = [
  'model',
  'provider',
  'threads',
  'limit',
  'reference-limit',
  'reference-candidates',
  'steps',
  'candidates',
  'tasks',
  'minutes',
  'data',
  'out',
  'timeout',
  'batch',
];

export const DEFAULT_LIMIT = 100;
export const DEFAULT_REFERENCE_LIMIT = 10;
export const DEFAULT_MINUTES = 20;

const TASK_FILES: Record<string, string> = { paraphrase: 'qqp/test.jsonl', simplify: 'asset/test.jsonl' };

const USAGE = `usage: npm run bench:quality -- [options]      (node out/bench/quality.js [options])
  --model DIR                model package (default $DIFFUSEQ_MODEL or models/default)
  --limit N                  sentences per test file for the sweep (default ${DEFAULT_LIMIT}, scaled down to fit --minutes)
  --reference-limit N        sentences for the DDPM reference (default ${DEFAULT_REFERENCE_LIMIT}, scaled down likewise)
  --reference-candidates N   candidates of the reference runs (default 1)
  --minutes M                time budget used to scale the default limits (default ${DEFAULT_MINUTES}; 0 = never scale)
  --steps LIST               solver steps of the sweep (default 1,2,5,10,20)
  --candidates LIST          candidates of the sweep (default 1,5,10)
  --tasks LIST               paraphrase,simplify (default both)
  --no-reference             skip the DDPM reference
  --provider NAME            cpu (default) | cuda | webgpu | dml | coreml | auto
  --threads N                onnxruntime intra-op threads
  --batch B                  eval --batch (sources per rewriteBatch call; eval's default when omitted)
  --data DIR                 data folder (default $DIFFUSEQ_DATA or ../shared/data)
  --out DIR                  results folder (default bench/results)
  --timeout S                per eval run (default 3600)
  --quick                    development run: 10 sentences, reference 3, steps 1,10, candidates 1,5
  --verbose                  echo each eval command`;

export interface Planned {
  task: string;
  file: string;
  sampler: 'dpm' | 'ddpm';
  steps: number;
  candidates: number;
  set: 'sweep' | 'reference';
  limit: number;
}

/** Work units of a run: sentences × network evaluations × candidates (the denoiser rows it computes). */
export function units(p: { limit: number; steps: number; candidates: number }): number {
  return p.limit * p.steps * p.candidates;
}

export type RunKind = 'sweep' | 'reference-dpm' | 'ddpm';

export function kindOf(p: Planned): RunKind {
  return p.sampler === 'ddpm' ? 'ddpm' : p.set === 'sweep' ? 'sweep' : 'reference-dpm';
}

/**
 * Seconds a run is expected to take. Sweep runs batch many rows per network call, the reference runs few (small
 * limit, one candidate), so each kind has its own rate: seconds per unit for DPM runs, and for DDPM seconds per
 * sentence (its T steps on reference-sized batches). `overheadS` is the fixed cost of one eval command (process
 * start, model load).
 */
export interface CostModel {
  overheadS: number;
  perUnit: { sweep: number; 'reference-dpm': number };
  ddpmPerSentence: number;
}

export function runSeconds(p: Planned, m: CostModel, limit = p.limit): number {
  const k = kindOf(p);
  return m.overheadS + (k === 'ddpm' ? m.ddpmPerSentence * limit : m.perUnit[k] * units({ ...p, limit }));
}

/**
 * Scales the sweep and reference limits by one factor so that the projected time fits `budgetS` (0 = no budget).
 * Limits are rounded down (sweep: to a multiple of 10, at least 20; reference: at least 3) and never raised.
 */
export function fitLimits(
  plan: Planned[],
  m: CostModel,
  budgetS: number,
): { limit: number; referenceLimit: number; projectedS: number; scaled: boolean } {
  const limit = plan.find((p) => p.set === 'sweep')?.limit ?? 0;
  const referenceLimit = plan.find((p) => p.set === 'reference')?.limit ?? 0;
  const project = (l: number, rl: number) => plan.reduce((a, p) => a + runSeconds(p, m, p.set === 'sweep' ? l : rl), 0);
  const projected = project(limit, referenceLimit);
  if (budgetS <= 0 || projected <= budgetS) {
    return { limit, referenceLimit, projectedS: projected, scaled: false };
  }
  const fixed = plan.length * m.overheadS;
  const factor = Math.max(0, (budgetS - fixed) / Math.max(1e-9, projected - fixed));
  const l = Math.min(limit, Math.max(20, Math.floor((limit * factor) / 10) * 10));
  const rl = Math.min(referenceLimit, Math.max(3, Math.floor(referenceLimit * factor)));
  return { limit: l, referenceLimit: rl, projectedS: project(l, rl), scaled: true };
}

/** Updates the cost model from completed runs (wall = the eval report's own rewriting time; seconds = whole command). */
export function refitCost(m: CostModel, done: Array<{ p: Planned; wall: number; seconds: number }>): CostModel {
  if (done.length === 0) return m;
  const next: CostModel = { overheadS: m.overheadS, perUnit: { ...m.perUnit }, ddpmPerSentence: m.ddpmPerSentence };
  next.overheadS = done.reduce((a, d) => a + Math.max(0, d.seconds - d.wall), 0) / done.length;
  for (const k of ['sweep', 'reference-dpm'] as const) {
    const runs = done.filter((d) => kindOf(d.p) === k);
    const u = runs.reduce((a, d) => a + units(d.p), 0);
    if (u > 0) next.perUnit[k] = runs.reduce((a, d) => a + d.wall, 0) / u;
  }
  const ddpm = done.filter((d) => kindOf(d.p) === 'ddpm');
  const sentences = ddpm.reduce((a, d) => a + d.p.limit, 0);
  if (sentences > 0) next.ddpmPerSentence = ddpm.reduce((a, d) => a + d.wall, 0) / sentences;
  return next;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), FLAGS, OPTIONS, 'npm run bench:quality --');
  if (flag(args, 'help')) {
    log(USAGE);
    return;
  }
  const started = Date.now();
  const { root, quick, verbose, provider, threads, modelDir, model, outDir } = runOptions(args);
  const batch = num(args, 'batch', 0, { integer: true, min: 0 });
  if (!fs.existsSync(engineEntry(root)) || !fs.existsSync(path.join(root, 'bin', 'diffuseq.js'))) {
    throw new Error('the eval command is not built: run `npx tsc -p .`');
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'manifest.json'), 'utf8'));
  const T: number = manifest.diffusion?.steps ?? 2000;
  const explicitLimit = args.options.has('limit');
  const explicitRefLimit = args.options.has('reference-limit');
  let limit = num(args, 'limit', quick ? 10 : DEFAULT_LIMIT, { integer: true, min: 1 });
  let referenceLimit = num(args, 'reference-limit', quick ? 3 : DEFAULT_REFERENCE_LIMIT, { integer: true, min: 1 });
  const refC = num(args, 'reference-candidates', 1, { integer: true, min: 1 });
  const minutes = num(args, 'minutes', DEFAULT_MINUTES, { min: 0 });
  const steps = parseIntList(str(args, 'steps', quick ? '1,10' : '1,2,5,10,20'), '--steps');
  const cands = parseIntList(str(args, 'candidates', quick ? '1,5' : '1,5,10'), '--candidates');
  const tasks = str(args, 'tasks', 'paraphrase,simplify')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const timeoutMs = num(args, 'timeout', 3600, { min: 1 }) * 1000;
  const data = path.resolve(str(args, 'data') ?? dataDir(root));
  const machine = machineInfo(root, provider);
  const notes: string[] = [];
  const taskFiles: Record<string, string> = {};

  const plan: Planned[] = [];
  for (const task of tasks) {
    if (!TASK_FILES[task]) throw new Error(`--tasks: unknown task ${task} (paraphrase, simplify)`);
    if (!manifest.tasks?.[task]) {
      notes.push(`model ${model.name} has no ${task} task: skipped`);
      log(`quality: ${task} skipped (not a task of ${model.name})`);
      continue;
    }
    const file = path.join(data, TASK_FILES[task]);
    if (!fs.existsSync(file)) throw new Error(`${file} not found (set DIFFUSEQ_DATA or --data)`);
    taskFiles[task] = TASK_FILES[task];
    for (const c of cands) for (const k of steps) plan.push({ task, file, sampler: 'dpm', steps: k, candidates: c, set: 'sweep', limit });
    if (flag(args, 'reference', true)) {
      for (const k of steps) plan.push({ task, file, sampler: 'dpm', steps: k, candidates: refC, set: 'reference', limit: referenceLimit });
      plan.push({ task, file, sampler: 'ddpm', steps: T, candidates: refC, set: 'reference', limit: referenceLimit });
    }
  }
  if (plan.length === 0) throw new Error('nothing to run');

  const argsOf = (p: Planned, lim: number): string[] =>
    evalArgs({
      task: p.task,
      file: p.file,
      modelDir,
      candidates: p.candidates,
      limit: lim,
      sampler: p.sampler,
      steps: p.sampler === 'dpm' ? p.steps : undefined,
      provider,
      threads,
      batch,
    });
  const shown = (a: string[]) => evalCommandLine(root, a);

  log(`quality: model ${model.name}, provider ${provider}, ${machine.cpuModel} × ${machine.cores}; ${plan.length} eval runs planned`);

  // Probes: one sweep-like run (many rows per network call) and one reference-like run (few rows), to project the
  // time of the plan and scale the limits to --minutes.
  const probeRun = async (p: Planned) => {
    log(`quality: probe ${shown(argsOf(p, p.limit))}`);
    const r = await runEvalCommand(root, argsOf(p, p.limit), timeoutMs);
    if (r.code !== 0) {
      throw new Error(`the probe eval failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const rep = parseEvalJson(r.stdout);
    return { wall: rep.timing?.wallSeconds ?? r.seconds, seconds: r.seconds };
  };
  const probeA: Planned = { ...plan[0], sampler: 'dpm', set: 'sweep', steps: 5, candidates: 5, limit: Math.min(16, limit) };
  const a = await probeRun(probeA);
  let cost: CostModel = {
    overheadS: Math.max(0, a.seconds - a.wall),
    perUnit: { sweep: a.wall / units(probeA), 'reference-dpm': a.wall / units(probeA) },
    ddpmPerSentence: 0,
  };
  if (plan.some((p) => p.set === 'reference')) {
    const kB = Math.max(...steps);
    const probeB: Planned = { ...plan[0], sampler: 'dpm', set: 'reference', steps: kB, candidates: refC, limit: referenceLimit };
    const b = await probeRun(probeB);
    cost.perUnit['reference-dpm'] = b.wall / units(probeB);
    // DDPM: T network calls on the same batches, estimated from kB calls.
    cost.ddpmPerSentence = (b.wall / referenceLimit) * (T / kB);
    cost.overheadS = (cost.overheadS + Math.max(0, b.seconds - b.wall)) / 2;
  }
  const fit = fitLimits(
    plan.map((p) => ({ ...p, limit: p.set === 'sweep' ? limit : referenceLimit })),
    cost,
    // 85 %: the projection from two short probes runs low by up to ~25 % (probe and scoring time).
    explicitLimit && explicitRefLimit ? 0 : minutes * 60 * 0.85,
  );
  if (fit.scaled) {
    const before = `${limit}/${referenceLimit}`;
    if (!explicitLimit) limit = fit.limit;
    if (!explicitRefLimit) referenceLimit = fit.referenceLimit;
    const n = `limits scaled from ${before} to ${limit}/${referenceLimit} sentences (sweep/reference) to fit --minutes ${minutes} on this machine`;
    notes.push(n);
    log(`quality: ${n}`);
  }
  for (const p of plan) p.limit = p.set === 'sweep' ? limit : referenceLimit;
  const projected = plan.reduce((s2, p) => s2 + runSeconds(p, cost), 0);
  log(
    `quality: projected ${(projected / 60).toFixed(1)} min for the ${plan.length} runs (DDPM ≈ ${cost.ddpmPerSentence.toFixed(0)} s per sentence)`,
  );

  const result: QualityResult = {
    kind: 'quality',
    createdAt: new Date(started).toISOString(),
    durationS: 0,
    command: `node out/bench/quality.js ${process.argv.slice(2).join(' ')}`.trim(),
    model,
    provider,
    machine,
    settings: { limit, referenceLimit, steps, candidates: cands, referenceCandidates: refC, tasks: taskFiles },
    runs: [],
    notes,
  };
  const date = dateStamp(new Date(started));
  const stem = resultFileName(date, machine.slug).replace(/\.json$/, '');
  const save = () => {
    result.durationS = Math.round((Date.now() - started) / 1000);
    machine.loadAverageEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    const file = writeSection(outDir, date, machine.slug, result);
    fs.writeFileSync(path.join(outDir, `${stem}.quality-steps.svg`), qualityStepsChart(result));
    fs.writeFileSync(path.join(outDir, `${stem}.quality-diversity.svg`), qualityDiversityChart(result));
    return file;
  };

  const completed: Array<{ p: Planned; wall: number; seconds: number }> = [];
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i];
    const a = argsOf(p, p.limit);
    if (verbose) log(`  $ ${shown(a)}`);
    const r = await runEvalCommand(root, a, timeoutMs);
    let run: QualityRun;
    if (r.code === 0) {
      try {
        const rep = parseEvalJson(r.stdout);
        run = qualityRunFromEval(rep, {
          task: p.task,
          sampler: p.sampler,
          steps: p.steps,
          candidates: p.candidates,
          set: p.set,
          seconds: r.seconds,
        });
        if (p.sampler === 'ddpm') run.steps = rep.options?.steps ?? T;
        completed.push({ p, wall: rep.timing?.wallSeconds ?? r.seconds, seconds: r.seconds });
      } catch (e) {
        run = { ...failedRun(p, r.seconds), error: (e as Error).message };
      }
    } else {
      const why = r.timedOut
        ? `timed out after ${Math.round(timeoutMs / 1000)} s`
        : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
      run = { ...failedRun(p, r.seconds), error: why };
    }
    result.runs.push(run);
    save();
    // Re-estimate the remaining time from what has run so far.
    cost = refitCost(cost, completed);
    const left = plan.slice(i + 1).reduce((s2, q) => s2 + runSeconds(q, cost), 0);
    const what = `${p.task} ${p.sampler === 'ddpm' ? `DDPM T=${p.steps}` : `k=${p.steps}`} c=${p.candidates} n=${p.limit}${p.set === 'reference' ? ' (ref)' : ''}`;
    const score =
      run.status === 'ok'
        ? `BLEU ${run.bleu?.toFixed(4)}${run.selfBleu !== undefined ? ` self-BLEU ${run.selfBleu.toFixed(4)}` : ''}, ${run.sentencesPerSecond?.toFixed(2) ?? '?'} sent/s`
        : `FAILED: ${run.error}`;
    log(`[${i + 1}/${plan.length}] ${what.padEnd(40)} ${score}  (${r.seconds.toFixed(1)} s; ~${(left / 60).toFixed(1)} min left)`);
  }
  const failed = result.runs.filter((x) => x.status !== 'ok');
  if (failed.length > 0) notes.push(`${failed.length} eval run(s) failed`);
  const file = save();
  process.stdout.write(`${qualityMarkdown(result)}\n`);
  log(`quality: wrote ${path.relative(root, file)} and ${stem}.quality-{steps,diversity}.svg in ${(result.durationS / 60).toFixed(1)} min`);
  if (failed.length === result.runs.length) process.exitCode = 1;
}

function failedRun(p: Planned, seconds: number): QualityRun {
  return {
    task: p.task,
    sampler: p.sampler,
    steps: p.steps,
    candidates: p.candidates,
    limit: p.limit,
    set: p.set,
    metrics: {},
    seconds,
    status: 'failed',
  };
}

if (require.main === module) {
  main().catch((e) => {
    log(`bench:quality: ${(e as Error).message}`);
    process.exit(1);
  });
}
