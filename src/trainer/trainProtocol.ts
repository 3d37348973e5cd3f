/**
 * The trainer's JSON-lines protocol (docs/CONTRACTS.md): the events `python -m diffuseq_trainer.train` prints,
 * the runner's own events around them, and the summary of a run. Types and one parser; no I/O.
 */

// ---------------------------------------------------------------------------------------------------------------
// Protocol events (docs/CONTRACTS.md)

export interface StartEvent {
  event: 'start';
  config: Record<string, unknown>;
  device: string;
  parameters: number;
  world: number;
  [k: string]: unknown;
}
export interface StepEvent {
  event: 'step';
  step: number;
  steps: number;
  loss: number;
  mse?: number;
  tT?: number;
  nll?: number;
  lr?: number;
  tokensPerSec?: number;
  /** Achieved FLOP rate of the training step (model FLOPs, forward + backward). */
  gflopsPerSec?: number;
  elapsed?: number;
  eta?: number;
  [k: string]: unknown;
}
export interface EvalEvent {
  event: 'eval';
  step: number;
  validLoss?: number;
  validBleu?: number;
  [k: string]: unknown;
}
export interface CheckpointEvent {
  event: 'checkpoint';
  step: number;
  path: string;
  [k: string]: unknown;
}
export interface DoneEvent {
  event: 'done';
  step: number;
  checkpoint: string;
  [k: string]: unknown;
}
export interface ErrorEvent {
  event: 'error';
  message: string;
  [k: string]: unknown;
}
/** A protocol event of the trainer. */
export type ProtocolEvent = StartEvent | StepEvent | EvalEvent | CheckpointEvent | DoneEvent | ErrorEvent;
/** What the runner reports: protocol events, plus the child's other output, signals sent and the exit. */
export type TrainEvent =
  | ProtocolEvent
  | { event: 'output'; stream: 'stdout' | 'stderr'; line: string }
  | { event: 'signal'; signal: NodeJS.Signals; forwarded: boolean }
  | { event: 'exit'; summary: TrainSummary };

/** Parses one stdout line of the trainer; undefined when it is not a protocol event. */
export function parseProtocolLine(line: string): ProtocolEvent | undefined {
  const s = line.trim();
  if (!s.startsWith('{')) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const e = o as Record<string, unknown>;
  switch (e.event) {
    case 'start':
      return e as StartEvent;
    case 'step':
      return typeof e.step === 'number' && typeof e.loss === 'number' ? (e as StepEvent) : undefined;
    case 'eval':
      return typeof e.step === 'number' ? (e as EvalEvent) : undefined;
    case 'checkpoint':
      return typeof e.path === 'string' ? (e as CheckpointEvent) : undefined;
    case 'done':
      return e as DoneEvent;
    case 'error':
      return { ...e, message: String(e.message ?? 'unknown error') } as ErrorEvent;
    default:
      return undefined;
  }
}

export interface TrainSummary {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** 'done' when the trainer emitted done and exited 0; 'stopped' after a forwarded signal; else 'failed'. */
  status: 'done' | 'stopped' | 'failed';
  start?: StartEvent;
  firstStep?: StepEvent;
  lastStep?: StepEvent;
  steps: StepEvent[];
  evals: EvalEvent[];
  checkpoints: CheckpointEvent[];
  done?: DoneEvent;
  error?: string;
  /** The last checkpoint written (done's or the last checkpoint event's). */
  checkpoint?: string;
  wallSeconds: number;
  /** The last stderr lines of the child (for error messages). */
  stderrTail: string[];
  command: string[];
}
