/**
 * The training task runner: `diffuseq train --config FILE.json …` starts the PyTorch trainer
 * (`python -m diffuseq_trainer.train`, or `torch.distributed.run` for several GPUs), reads its JSON-lines
 * protocol (docs/CONTRACTS.md), shows progress, and forwards Ctrl-C/SIGTERM so a stopped run leaves a
 * resumable checkpoint. `startTraining()` is the programmatic API the extension uses.
 */
import * as cp from 'child_process';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import {
  MainIo,
  PythonInfo,
  UserError,
  checkKnownFlags,
  findTrainerRoot,
  flagValue,
  formatDuration,
  numberFlag,
  parseArgs,
  requirePythonWithTorch,
  runMain,
  trainerPythonPath,
  withUserErrors,
} from './common';
import { chooseAllocator } from './allocator';

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

// ---------------------------------------------------------------------------------------------------------------
// Running

export interface TrainOptions {
  /** Training config JSON (src/trainer/configs/*.json). */
  config: string;
  data?: string;
  out?: string;
  resume?: string;
  /** A model package folder to start from (its weights; fresh optimizer and schedule). */
  init?: string;
  maxSteps?: number;
  maxMinutes?: number;
  /** >1: torch.distributed.run with that many processes (one per GPU). */
  gpus?: number;
  /** The folder that holds src/trainer/python (default: found above this file). */
  trainerRoot?: string;
  /** Python to use (default: found with findPythonWithTorch). */
  python?: string | PythonInfo;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra arguments passed to the trainer as is. */
  extraArgs?: string[];
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

/** The command line the runner starts (exported for tests and the docs). */
export function trainCommand(python: string, opts: TrainOptions): string[] {
  const args: string[] = [];
  const gpus = opts.gpus ?? 1;
  if (gpus > 1) args.push('-m', 'torch.distributed.run', '--standalone', `--nproc_per_node=${gpus}`, '-m', 'diffuseq_trainer.train');
  else args.push('-m', 'diffuseq_trainer.train');
  const abs = (p: string) => path.resolve(opts.cwd ?? process.cwd(), p);
  args.push('--config', abs(opts.config));
  if (opts.data) args.push('--data', abs(opts.data));
  if (opts.out) args.push('--out', abs(opts.out));
  if (opts.resume) args.push('--resume', abs(opts.resume));
  if (opts.init) args.push('--init', abs(opts.init));
  if (opts.maxSteps !== undefined) args.push('--max-steps', String(opts.maxSteps));
  if (opts.maxMinutes !== undefined) args.push('--max-minutes', String(opts.maxMinutes));
  if (opts.extraArgs) args.push(...opts.extraArgs);
  return [python, ...args];
}

/**
 * A running training process. Emits 'event' (TrainEvent) for everything, plus the protocol event names
 * ('start', 'step', 'eval', 'checkpoint', 'done', 'output', 'signal'; the trainer's error event as 'trainerError') and
 * 'exit' (TrainSummary). Also an async iterator
 * of TrainEvents that ends after the exit event.
 */
export class TrainingRun extends EventEmitter {
  readonly result: Promise<TrainSummary>;
  readonly command: string[];
  /** Which malloc the trainer was started with (chooseAllocator), for the log. */
  allocator?: string;
  private child: cp.ChildProcess;
  private summary: TrainSummary;
  private signalsSent = 0;
  private finished = false;
  private queue: TrainEvent[] = [];
  private waiters: ((r: IteratorResult<TrainEvent>) => void)[] = [];

  constructor(command: string[], env: NodeJS.ProcessEnv, cwd: string) {
    super();
    this.command = command;
    const t0 = Date.now();
    this.summary = { exitCode: null, signal: null, status: 'failed', steps: [], evals: [], checkpoints: [], wallSeconds: 0, stderrTail: [], command };
    // Own process group: a terminal Ctrl-C reaches only us, and we forward it exactly once (a second SIGINT
    // would interrupt the trainer while it writes its checkpoint).
    this.child = cp.spawn(command[0], command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    // Being in its own process group, the trainer would outlive us: when this process exits, ask it to stop
    // (SIGTERM: it writes a checkpoint first).
    const onParentExit = () => {
      if (!this.finished) {
        try {
          this.child.kill('SIGTERM');
        } catch {
          /* already gone */
        }
      }
    };
    process.on('exit', onParentExit);
    let resolve!: (s: TrainSummary) => void;
    this.result = new Promise((r) => (resolve = r));
    const out = readline.createInterface({ input: this.child.stdout!, crlfDelay: Infinity });
    const err = readline.createInterface({ input: this.child.stderr!, crlfDelay: Infinity });
    let open = 2;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    const maybeFinish = () => {
      if (open > 0 || !exit || this.finished) return;
      this.finished = true;
      process.off('exit', onParentExit);
      const s = this.summary;
      s.exitCode = exit.code;
      s.signal = exit.signal;
      s.wallSeconds = (Date.now() - t0) / 1000;
      if (spawnError) s.error = s.error ?? `cannot start ${command[0]}: ${spawnError.message}`;
      s.status = exit.code === 0 && s.done && !s.error ? 'done' : this.signalsSent > 0 ? 'stopped' : 'failed';
      if (s.status === 'failed' && !s.error) {
        s.error = exit.code === 0 ? 'the trainer exited without a done event' : `the trainer exited with ${exit.signal ?? 'code ' + exit.code}`;
      }
      this.push({ event: 'exit', summary: s });
      this.emit('exit', s);
      resolve(s);
      for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
    };
    out.on('line', (line) => this.onStdout(line));
    out.on('close', () => {
      open--;
      maybeFinish();
    });
    err.on('line', (line) => {
      const tail = this.summary.stderrTail;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      this.push({ event: 'output', stream: 'stderr', line });
    });
    err.on('close', () => {
      open--;
      maybeFinish();
    });
    this.child.on('error', (e) => {
      spawnError = e;
      if (!exit) exit = { code: null, signal: null };
      // Streams may never have opened.
      open = 0;
      maybeFinish();
    });
    this.child.on('exit', (code, signal) => {
      exit = { code, signal };
      maybeFinish();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.finished;
  }

  private onStdout(line: string): void {
    const ev = parseProtocolLine(line);
    if (!ev) {
      if (line.trim()) this.push({ event: 'output', stream: 'stdout', line });
      return;
    }
    const s = this.summary;
    switch (ev.event) {
      case 'start':
        s.start = ev;
        break;
      case 'step':
        if (!s.firstStep) s.firstStep = ev;
        s.lastStep = ev;
        s.steps.push(ev);
        break;
      case 'eval':
        s.evals.push(ev);
        break;
      case 'checkpoint':
        s.checkpoints.push(ev);
        s.checkpoint = ev.path;
        break;
      case 'done':
        s.done = ev;
        if (ev.checkpoint) s.checkpoint = ev.checkpoint;
        break;
      case 'error':
        s.error = ev.message;
        break;
    }
    this.push(ev);
  }

  private push(ev: TrainEvent): void {
    this.emit('event', ev);
    // 'error' is special for EventEmitter (it throws without a listener): the trainer's error event is 'trainerError'.
    if (ev.event === 'error') this.emit('trainerError', ev);
    else if (ev.event !== 'exit') this.emit(ev.event, ev);
    const w = this.waiters.shift();
    if (w) w({ value: ev, done: false });
    else this.queue.push(ev);
  }

  /**
   * Asks the trainer to stop: SIGINT/SIGTERM make it write a checkpoint and exit 130. Calling it a third
   * time (or with SIGKILL) kills it without a checkpoint.
   */
  stop(signal: NodeJS.Signals = 'SIGINT'): boolean {
    if (this.finished || this.child.pid === undefined) return false;
    this.signalsSent++;
    const sig: NodeJS.Signals = this.signalsSent >= 3 ? 'SIGKILL' : signal;
    if (this.signalsSent === 2 && sig !== 'SIGKILL') {
      // The trainer is already writing its checkpoint; a second signal could interrupt that.
      this.push({ event: 'signal', signal: sig, forwarded: false });
      return false;
    }
    try {
      this.child.kill(sig);
    } catch {
      return false;
    }
    this.push({ event: 'signal', signal: sig, forwarded: true });
    return true;
  }

  [Symbol.asyncIterator](): AsyncIterator<TrainEvent> {
    return {
      next: () => {
        const ev = this.queue.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((r) => this.waiters.push(r));
      },
    };
  }
}

/**
 * Starts the trainer. Throws UserError when no Python with torch is found or the config is unreadable.
 * `trainerRoot` is the folder holding src/trainer/python (the extension passes its install folder).
 */
export function startTraining(opts: TrainOptions): TrainingRun {
  const cwd = opts.cwd ?? process.cwd();
  const configPath = path.resolve(cwd, opts.config);
  if (!fs.existsSync(configPath)) throw new UserError(`diffuseq train: config ${opts.config} not found`);
  try {
    JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new UserError(`diffuseq train: config ${opts.config} is not valid JSON (${(e as Error).message})`);
  }
  if (opts.resume && !fs.existsSync(path.resolve(cwd, opts.resume))) throw new UserError(`diffuseq train: checkpoint ${opts.resume} not found`);
  if (opts.init && !fs.existsSync(path.join(path.resolve(cwd, opts.init), 'manifest.json'))) throw new UserError(`diffuseq train: --init ${opts.init} is not a model package (no manifest.json)`);
  const env = { ...(opts.env ?? process.env) };
  const py: PythonInfo = typeof opts.python === 'object' ? opts.python : opts.python ? { executable: opts.python, torch: '?', version: '?', cuda: false } : requirePythonWithTorch(env);
  if ((opts.gpus ?? 1) > 1 && typeof opts.python !== 'string' && !py.cuda) {
    throw new UserError(`diffuseq train: --gpus ${opts.gpus} needs CUDA, but torch ${py.torch} in ${py.executable} sees no GPU`);
  }
  const root = opts.trainerRoot ?? findTrainerRoot();
  const pyPath = trainerPythonPath(root);
  env.PYTHONPATH = env.PYTHONPATH ? `${pyPath}${path.delimiter}${env.PYTHONPATH}` : pyPath;
  env.PYTHONUNBUFFERED = '1';
  const alloc = chooseAllocator(env);
  Object.assign(env, alloc.env);
  const run = new TrainingRun(trainCommand(py.executable, opts), env, cwd);
  run.allocator = alloc.description;
  return run;
}

// ---------------------------------------------------------------------------------------------------------------
// Progress display

function fmtNum(x: number | undefined, digits = 4): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return x.toFixed(digits);
}

function fmtRate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** One line describing a step event. */
export function formatStep(e: StepEvent): string {
  const pct = e.steps ? ` ${((100 * e.step) / e.steps).toFixed(0).padStart(3)}%` : '';
  const parts = [`step ${e.step}/${e.steps}${pct}`, `loss ${fmtNum(e.loss)}`];
  const sub: string[] = [];
  if (e.mse !== undefined) sub.push(`mse ${fmtNum(e.mse)}`);
  if (e.tT !== undefined) sub.push(`tT ${fmtNum(e.tT)}`);
  if (e.nll !== undefined) sub.push(`nll ${fmtNum(e.nll)}`);
  if (sub.length) parts[1] += ` (${sub.join(' ')})`;
  if (e.lr !== undefined) parts.push(`lr ${e.lr.toExponential(1)}`);
  if (e.tokensPerSec !== undefined) parts.push(`${fmtRate(e.tokensPerSec)} tok/s`);
  if (e.gflopsPerSec !== undefined) parts.push(`${e.gflopsPerSec.toFixed(0)} GFLOP/s`);
  const time: string[] = [];
  if (e.elapsed !== undefined) time.push(formatDuration(e.elapsed));
  if (e.eta !== undefined) time.push(`ETA ${formatDuration(e.eta)}`);
  if (time.length) parts.push(time.join(' '));
  return parts.join(' | ');
}

export interface ProgressOptions {
  /** Rewrite one line in place (TTY) or print one line per `every` steps. */
  tty: boolean;
  /** Non-TTY: print a step line every this many steps (default: about 100 lines per run). */
  every?: number;
  /** Terminal width for the TTY line (default: the stream's columns or 120). */
  columns?: number;
  /** TTY: at most one redraw per this many milliseconds (default 250). */
  minIntervalMs?: number;
  /** The command to show for resuming (without --resume). */
  resumeCommand?: string;
}

/** Turns TrainEvents into terminal output. */
export class ProgressDisplay {
  private lineShown = false;
  private lastDraw = 0;
  private lastPrintedStep = -1;
  private pendingStep?: StepEvent;

  /**
   * @param write writes to the progress stream (stdout)
   * @param writeErr where the trainer's stderr lines go (default: the progress stream)
   */
  constructor(
    private readonly write: (s: string) => void,
    private readonly opts: ProgressOptions,
    private readonly writeErr: (s: string) => void = write,
  ) {}

  private clearLine(): void {
    if (this.lineShown) {
      this.write('\r\x1b[K');
      this.lineShown = false;
    }
  }

  /** Prints a full line (above the progress line on a TTY). */
  println(s: string, toErr = false): void {
    this.clearLine();
    (toErr ? this.writeErr : this.write)(s + '\n');
    if (this.opts.tty && this.pendingStep) this.draw(this.pendingStep, true);
  }

  private draw(e: StepEvent, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.opts.minIntervalMs ?? 250) && e.step !== e.steps) return;
    this.lastDraw = now;
    const cols = Math.max(20, (this.opts.columns ?? 120) - 1);
    let s = formatStep(e);
    if (s.length > cols) s = s.slice(0, cols - 1) + '…';
    this.write('\r\x1b[K' + s);
    this.lineShown = true;
  }

  handle(ev: TrainEvent): void {
    switch (ev.event) {
      case 'start': {
        const cfg = ev.config as { name?: string; train?: { steps?: number } };
        this.println(`training ${cfg?.name ?? ''} on ${ev.device}${ev.world > 1 ? ` ×${ev.world}` : ''}, ${fmtRate(ev.parameters)} parameters`.replace('  ', ' '));
        const how = [ev.dtype ? `dtype ${String(ev.dtype)}${ev.dtypeReason ? ` (${String(ev.dtypeReason)})` : ''}` : '', ev.allocator ? `allocator ${String(ev.allocator)}` : '', ev.threads ? `${String(ev.threads)} threads` : ''].filter(Boolean);
        if (how.length) this.println(`  ${how.join(', ')}`);
        break;
      }
      case 'step': {
        if (this.opts.tty) {
          this.pendingStep = ev;
          this.draw(ev);
        } else {
          const every = this.opts.every ?? Math.max(1, Math.ceil((ev.steps || 100) / 100));
          if (this.lastPrintedStep < 0 || Math.floor(ev.step / every) > Math.floor(this.lastPrintedStep / every) || ev.step === ev.steps) {
            this.lastPrintedStep = ev.step;
            this.write(formatStep(ev) + '\n');
          }
        }
        break;
      }
      case 'eval': {
        const parts = [`eval @ step ${ev.step}:`];
        if (ev.validLoss !== undefined) parts.push(`valid loss ${fmtNum(ev.validLoss)}`);
        if (ev.validBleu !== undefined) parts.push(`valid BLEU ${fmtNum(ev.validBleu)}`);
        for (const [k, v] of Object.entries(ev)) {
          if (!['event', 'step', 'validLoss', 'validBleu'].includes(k) && typeof v === 'number') parts.push(`${k} ${fmtNum(v)}`);
        }
        this.println(parts.join(' '));
        break;
      }
      case 'checkpoint':
        this.println(`checkpoint @ step ${ev.step}: ${ev.path}`);
        break;
      case 'done':
        this.println(`done @ step ${ev.step}: ${ev.checkpoint}`);
        break;
      case 'error':
        this.println(`trainer error: ${ev.message}`);
        break;
      case 'output':
        this.println(ev.line, ev.stream === 'stderr');
        break;
      case 'signal':
        this.println(
          ev.forwarded
            ? `${ev.signal} sent to the trainer; waiting for it to write a checkpoint…${ev.signal === 'SIGKILL' ? ' (killed, no checkpoint)' : ''}`
            : 'still writing the checkpoint; press Ctrl-C again to kill the trainer without one',
        );
        break;
      case 'exit':
        this.pendingStep = undefined;
        this.clearLine();
        for (const l of formatSummary(ev.summary, this.opts.resumeCommand)) this.write(l + '\n');
        break;
    }
  }
}

/** The final lines printed after a run. */
export function formatSummary(s: TrainSummary, resumeCommand?: string): string[] {
  const lines: string[] = [];
  const first = s.firstStep;
  const last = s.lastStep;
  const evalLast = s.evals[s.evals.length - 1];
  const status = s.status === 'done' ? 'finished' : s.status === 'stopped' ? 'stopped' : 'FAILED';
  lines.push(`training ${status} after ${formatDuration(s.wallSeconds)}${last ? ` at step ${last.step}/${last.steps}` : ''}`);
  if (first && last) lines.push(`  loss ${fmtNum(first.loss)} (step ${first.step}) → ${fmtNum(last.loss)} (step ${last.step})`);
  if (s.steps.length) {
    const rates = s.steps.map((e) => e.tokensPerSec).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (rates.length) lines.push(`  throughput ${fmtRate(rates.reduce((a, b) => a + b, 0) / rates.length)} tokens/s (mean of ${rates.length} reports)`);
    const flops = s.steps.map((e) => e.gflopsPerSec).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (flops.length) lines.push(`  achieved ${(flops.reduce((a, b) => a + b, 0) / flops.length).toFixed(0)} GFLOP/s (model FLOPs, forward + backward)`);
  }
  if (evalLast) lines.push(`  last eval @ ${evalLast.step}: valid loss ${fmtNum(evalLast.validLoss)}, valid BLEU ${fmtNum(evalLast.validBleu)}`);
  if (s.error && s.status === 'failed') {
    lines.push(`  error: ${s.error}`);
    const tail = s.stderrTail.slice(-8);
    if (tail.length && !s.error.includes(tail[tail.length - 1])) lines.push('  last trainer output:', ...tail.map((l) => '    ' + l));
  }
  if (s.checkpoint) {
    lines.push(`  checkpoint: ${s.checkpoint}`);
    if (s.status !== 'done') {
      lines.push(`  resume with: ${resumeCommand ?? 'diffuseq train --config CONFIG'} --resume ${quoteArg(s.checkpoint)}`);
    }
    const weights = path.join(path.dirname(s.checkpoint), 'weights.pt');
    const exportFrom = s.status === 'done' && fs.existsSync(weights) ? weights : s.checkpoint;
    lines.push(`  export with: diffuseq export --checkpoint ${quoteArg(exportFrom)} --out models/NAME`);
  } else if (s.status !== 'done') {
    lines.push('  no checkpoint was written');
  }
  return lines;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

export const TRAIN_USAGE = `usage: diffuseq train --config FILE.json [--data DIR] [--out DIR] [--resume CKPT | --init PACKAGE] [--max-steps N] [--max-minutes M] [--gpus N]
  --init models/default starts from a model package's weights (the data must be prepared with its tokenizer:
  diffuseq prepare --tokenizer models/default …).
  Ctrl-C (or SIGTERM) stops the run after writing a checkpoint; the command to resume is printed.
  DIFFUSEQ_PYTHON=/path/to/python picks the Python (it must have torch).`;

export function parseTrainArgs(argv: string[]): TrainOptions {
  const p = parseArgs(argv);
  checkKnownFlags(p, ['config', 'data', 'out', 'resume', 'init', 'max-steps', 'max-minutes', 'gpus', 'help'], 'train');
  const config = flagValue(p, 'config');
  if (!config) throw new UserError('diffuseq train: --config FILE.json is required\n' + TRAIN_USAGE);
  if (flagValue(p, 'init') && flagValue(p, 'resume')) throw new UserError('diffuseq train: --init starts a new run from a package and --resume continues a run: give one');
  return {
    init: flagValue(p, 'init'),
    config,
    data: flagValue(p, 'data'),
    out: flagValue(p, 'out'),
    resume: flagValue(p, 'resume'),
    maxSteps: numberFlag(p, 'max-steps', { int: true, min: 1 }),
    maxMinutes: numberFlag(p, 'max-minutes', { min: 0 }),
    gpus: numberFlag(p, 'gpus', { int: true, min: 1 }),
  };
}

/** The `diffuseq train …` command line without --resume (for the resume hint). */
function resumeCommandOf(argv: string[]): string {
  const out: string[] = ['diffuseq', 'train'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--resume') {
      i++;
      continue;
    }
    if (argv[i].startsWith('--resume=')) continue;
    out.push(quoteArg(argv[i]));
  }
  return out.join(' ');
}

/** `diffuseq train …`; returns the exit code (130 when stopped by a signal). */
export async function trainMain(argv: string[], io: MainIo & { trainerRoot?: string } = {}): Promise<number> {
  return withUserErrors(io, () => trainBody(argv, io));
}

async function trainBody(argv: string[], io: MainIo & { trainerRoot?: string }): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout.write(TRAIN_USAGE + '\n');
    return 0;
  }
  const opts = parseTrainArgs(argv);
  opts.trainerRoot = io.trainerRoot ?? opts.trainerRoot;
  opts.env = io.env ?? process.env;
  const run = startTraining(opts);
  const display = new ProgressDisplay((s) => stdout.write(s), {
    tty: !!stdout.isTTY && opts.env.DIFFUSEQ_PROGRESS !== 'lines',
    columns: stdout.columns,
    resumeCommand: resumeCommandOf(argv),
  }, (s) => stderr.write(s));
  run.on('event', (ev: TrainEvent) => display.handle(ev));
  const onSignal = (sig: NodeJS.Signals) => run.stop(sig === 'SIGHUP' ? 'SIGTERM' : sig);
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    const summary = await run.result;
    if (summary.status === 'done') return 0;
    if (summary.status === 'stopped') return 130;
    return summary.exitCode && summary.exitCode !== 0 ? summary.exitCode : 1;
  } finally {
    for (const s of sigs) process.off(s, onSignal);
  }
}

if (require.main === module) runMain((argv) => trainMain(argv));
