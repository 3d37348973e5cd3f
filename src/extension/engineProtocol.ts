/**
 * The messages between the extension (engineClient.ts) and the engine process (engineHost.ts): both sides
 * import them from here, as the trainer's runner and train.py share src/trainer/trainProtocol.ts. Types, guards
 * and the error's wire form; no I/O.
 *
 * One JSON object per IPC message:
 *   client → host  load {id, modelDir, options} | rewrite {id, text, options} | cancel {id} | shutdown
 *   host → client  ready {pid} | loaded {id, model} | progress {id, progress} | result {id, result}
 *                  | error {id, error} | log {message}
 * Every request gets exactly one `loaded`/`result` or one `error` with its id. A cancelled rewrite ends
 * with an `error` whose `error.cancelled` is true.
 */
import type { EngineLoadOptions, ExecutionProviderName, RewriteOptions, RewriteResult } from '../engine';

export const PROTOCOL_VERSION = 1;

export type HostLoadOptions = Pick<EngineLoadOptions, 'executionProvider' | 'threads'>;
/** Everything of RewriteOptions that can cross a process boundary. */
export type HostRewriteOptions = Omit<RewriteOptions, 'signal' | 'onProgress'>;

export interface RewriteProgress {
  segment: number;
  segments: number;
  step: number;
  steps: number;
}

/** What the host reports about a loaded model package. */
export interface ModelInfo {
  dir: string;
  name: string;
  description: string;
  executionProvider: ExecutionProviderName;
  tasks: string[];
  /** `provenance.note` of the manifest, when present (e.g. "CPU-trained placeholder"). */
  note?: string;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cancelled?: boolean;
}

export type ClientMessage =
  | { type: 'load'; id: number; modelDir: string; options: HostLoadOptions }
  | { type: 'rewrite'; id: number; text: string; options: HostRewriteOptions }
  | { type: 'cancel'; id: number }
  | { type: 'shutdown' };

export type HostMessage =
  | { type: 'ready'; pid: number; protocol: number }
  | { type: 'loaded'; id: number; model: ModelInfo }
  | { type: 'progress'; id: number; progress: RewriteProgress }
  | { type: 'result'; id: number; result: RewriteResult }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'log'; message: string };

export function isHostMessage(m: unknown): m is HostMessage {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || t === 'loaded' || t === 'progress' || t === 'result' || t === 'error' || t === 'log';
}

export function isClientMessage(m: unknown): m is ClientMessage {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  return t === 'load' || t === 'rewrite' || t === 'cancel' || t === 'shutdown';
}

export function serializeError(e: unknown, cancelled = false): SerializedError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack, cancelled: cancelled || undefined };
  return { name: 'Error', message: String(e), cancelled: cancelled || undefined };
}
