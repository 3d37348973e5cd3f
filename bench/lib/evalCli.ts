/**
 * Running `node bin/diffuseq.js eval … --json` and reading its report (src/engine/eval.ts: EvalReport without
 * `results`).
 */
import * as path from 'path';
import type { EvalReport } from '../../src/engine';
import { runNodeScript, type ScriptRun } from './child';
import type { QualityRun } from './schema';

/** What `eval --json` prints: the report without its per-example results. */
export type EvalSummary = Omit<EvalReport, 'results'>;

/** One eval command of a benchmark: what it rewrites, with which model and settings. */
export interface EvalCommand {
  task: string;
  /** The .jsonl test file. */
  file: string;
  modelDir: string;
  candidates: number;
  limit: number;
  /** Left out: eval's default (DPM-Solver++). */
  sampler?: 'dpm' | 'ddpm';
  /** Left out: the sampler's default (DDPM: the model's T). */
  steps?: number;
  provider: string;
  /** Left out or 0: onnxruntime's choice. */
  threads?: number;
  /** Sources per rewriteBatch() call; left out or 0: eval's default. */
  batch?: number;
}

/** The arguments after `eval` for `c`, always with --json. */
export function evalArgs(c: EvalCommand): string[] {
  const a = ['--task', c.task, '--data', c.file, '--model', c.modelDir, '--candidates', String(c.candidates), '--limit', String(c.limit)];
  if (c.sampler) a.push('--sampler', c.sampler);
  a.push('--provider', c.provider, '--json');
  if (c.steps !== undefined) a.push('--steps', String(c.steps));
  if (c.threads) a.push('--threads', String(c.threads));
  if (c.batch) a.push('--batch', String(c.batch));
  return a;
}

/** The command line as the result file records it: `node bin/diffuseq.js eval …`, paths relative to `root`. */
export function evalCommandLine(root: string, args: readonly string[]): string {
  return `node bin/diffuseq.js eval ${args.map((a) => (path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}`;
}

/** Runs the eval command with `args` (after `eval`) in `root`. Never rejects for a non-zero exit. */
export function runEvalCommand(root: string, args: string[], timeoutMs: number): Promise<ScriptRun> {
  return runNodeScript(path.join(root, 'bin', 'diffuseq.js'), ['eval', ...args], { cwd: root, timeoutMs });
}

/** The last line of `stdout` that is a JSON object with the report's fields; throws when there is none. */
export function parseEvalJson(stdout: string): EvalSummary {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const o = JSON.parse(lines[i]) as EvalSummary;
      if (o && typeof o === 'object' && o.mbr && typeof o.mbr === 'object' && typeof o.examples === 'number') {
        return o;
      }
    } catch {
      /* not this line */
    }
  }
  throw new Error(
    `no eval report (JSON with "mbr" and "examples") in the output${stdout.trim() ? `: ${stdout.trim().slice(0, 200)}` : ''}`,
  );
}

/** A finite number or undefined. */
function n(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** Turns an eval report into a QualityRun (BLEU = the MBR choice's BLEU; self-BLEU only with ≥ 2 candidates). */
export function qualityRunFromEval(
  report: EvalSummary,
  meta: { task: string; sampler: 'dpm' | 'ddpm'; steps: number; candidates: number; set: 'sweep' | 'reference'; seconds: number },
): QualityRun {
  const metrics: Record<string, number> = {};
  const put = (k: string, v: unknown) => {
    const x = n(v);
    if (x !== undefined) metrics[k] = x;
  };
  for (const [k, v] of Object.entries(report.mbr)) put(k, v);
  for (const [k, v] of Object.entries(report.single ?? {})) put(`${k}Single`, v);
  put('div4', report.diversity?.div4);
  put('dist1Candidates', report.diversity?.dist1);
  put('msPerSentence', report.timing?.msPerSentence);
  const wall = n(report.timing?.wallSeconds);
  const steps = n(report.options?.steps) ?? meta.steps;
  return {
    task: meta.task,
    sampler: meta.sampler,
    steps,
    candidates: meta.candidates,
    limit: report.examples,
    set: meta.set,
    bleu: n(report.mbr.bleu),
    selfBleu: meta.candidates > 1 ? n(report.diversity?.selfBleu) : undefined,
    metrics,
    seconds: meta.seconds,
    sentencesPerSecond: wall && wall > 0 ? report.examples / wall : undefined,
    status: n(report.mbr.bleu) === undefined ? 'failed' : 'ok',
    ...(n(report.mbr.bleu) === undefined ? { error: 'the report has no BLEU' } : {}),
  };
}
