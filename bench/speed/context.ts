/**
 * The options of `npm run bench` and what every measurement section of the speed run (bench/speed/*.ts) reads.
 */
import type { ParsedArgs } from '../lib/args';
import type { EngineJobBase } from '../lib/jobs';
import { DEFAULT_NOISY_SPREAD } from '../lib/stats';

export const FLAGS = ['quick', 'verbose', 'ddpm', 'throughput', 'activation', 'eval', 'corners', 'help'];
export const OPTIONS = [
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
];

export const USAGE = `usage: npm run bench -- [options]      (node out/bench/speed.js [options])
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
  --activation-repeats N   cold starts of a real extension host (code-server) that activate dist/extension.js
                           (default 3, --quick 1; about 40 s each; --no-activation to skip)
  --data DIR               data folder (default $DIFFUSEQ_DATA or ../shared/data)
  --out DIR                results folder (default bench/results)
  --noisy R                flag a figure whose (max − min)/median exceeds R (default ${DEFAULT_NOISY_SPREAD})
  --quick                  a short run for development: small grid, 1 warm-up, 3 repeats, 20 sentences, 1 DDPM
  --verbose                echo the workers' output`;

/** What every measurement section of the speed run reads. */
export interface SpeedContext {
  args: ParsedArgs;
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
