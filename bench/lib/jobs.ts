/**
 * What the speed run (bench/speed.ts) sends its worker processes (bench/worker.ts) and what they answer: one job
 * as the first IPC message, one `WorkerReply` back (bench/lib/fork.ts carries both).
 */
import type { Task } from '../../src/engine';
import type { ConfigResult, RssInfo } from './schema';

export interface EngineJobBase {
  modelDir: string;
  provider: string;
  threads?: number;
  task: Task;
  noisySpread: number;
}

export interface LatencyJob extends EngineJobBase {
  type: 'latency';
  id: string;
  axes: string[];
  words: number;
  candidates: number;
  steps: number;
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  budgetMs: number;
}

/** DPM-Solver++ at `steps` and DDPM at the model's T, on the same input, interleaved in one process. */
export interface ReferenceJob extends EngineJobBase {
  type: 'reference';
  words: number;
  candidates: number;
  steps: number;
  warmup: number;
  /** DPM repeats per block; a block runs before each DDPM repeat and one after the last. */
  dpmRepeatsPerBlock: number;
  ddpmRepeats: number;
}

export interface ThroughputJob extends EngineJobBase {
  type: 'throughput';
  file: string;
  limit: number;
  candidates: number;
  steps: number;
  warmup: number;
}

export type WorkerJob = LatencyJob | ReferenceJob | ThroughputJob;

export interface LatencyReply {
  config: ConfigResult;
}
export interface ReferenceReply {
  dpm: ConfigResult;
  ddpm: ConfigResult;
}
export interface ThroughputReply {
  sentences: number;
  /** Sequential rewrite() calls. */
  seconds: number;
  /** One rewriteBatch() call over all sentences (absent when the engine has no rewriteBatch). */
  batchSeconds?: number;
  loadMs: number;
  executionProvider: string;
  rss: RssInfo;
  skippedEmpty: number;
}

export type WorkerReply = { ok: true; result: unknown } | { ok: false; error: string };
