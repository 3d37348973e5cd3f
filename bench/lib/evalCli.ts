/**
 * Running `node bin/diffuseq.js eval … --json` and reading its report (src/engine/eval.ts: EvalReport without
 * `results`).
 */
import { spawn } from 'child_process';
import * as path from 'path';
import type { QualityRun } from './schema';

/** The fields of the eval command's --json report that the benchmark reads. */
export interface EvalJson {
  examples: number;
  executionProvider?: string;
  options?: { candidates?: number; steps?: number; sampler?: string };
  mbr: Record<string, number | undefined>;
  single?: Record<string, number | undefined>;
  diversity?: { selfBleu?: number; div4?: number; dist1?: number };
  timing?: { wallSeconds?: number; msPerSentence?: number; stages?: Record<string, number> };
  warnings?: string[];
}

export interface EvalRun {
  /** Wall seconds of the whole command (process start, model load, rewriting, scoring). */
  seconds: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs the eval command with `args` (after `eval`) in `root`. Never rejects for a non-zero exit. */
export function runEvalCommand(root: string, args: string[], timeoutMs: number): Promise<EvalRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'bin', 'diffuseq.js'), 'eval', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-8000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ seconds: (performance.now() - t0) / 1000, code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last line of `stdout` that is a JSON object with the report's fields; throws when there is none. */
export function parseEvalJson(stdout: string): EvalJson {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const o = JSON.parse(lines[i]) as EvalJson;
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
  report: EvalJson,
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
