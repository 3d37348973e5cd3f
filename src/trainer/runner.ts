/**
 * The training runner: `startTraining()` starts the PyTorch trainer (`python -m diffuseq_trainer.train`, or
 * `torch.distributed.run` for several GPUs) with the trainer's PYTHONPATH and allocator, and `TrainingRun` reads its
 * JSON-lines protocol (docs/CONTRACTS.md) and forwards stop signals so a stopped run leaves a resumable checkpoint.
 * Its user is the `diffuseq train` command (src/cli/train.ts); the extension starts training through that command
 * (a VS Code task running bin/diffuseq.js), not through this module.
 */
import * as cp from 'child_process';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { UserError, describeExit } from '../common/commandLine';
import { type PythonInfo, findTrainerRoot, requirePythonWithTorch, trainerProcessEnv } from './pythonEnv';
import { chooseAllocator } from './allocator';
import { parseProtocolLine, type TrainEvent, type TrainSummary } from './trainProtocol';

// The protocol's events are what a run emits; its callers take their types from here too.
export * from './trainProtocol';

export interface TrainOptions {
  /** Training config JSON (src/trainer/configs/*.json). */
  config: string;
  data?: string;
  out?: string;
  resume?: string;
  /** A model package folder to start from (its weights; fresh optimizer and schedule). */
  init?: string;
  /** Start a new run in an `out` folder that already holds a checkpoint, replacing it (the trainer refuses otherwise). */
  overwrite?: boolean;
  /** The trainer prints the traceback of a failure (it is one line without). */
  verbose?: boolean;
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
  if (opts.overwrite) args.push('--overwrite');
  if (opts.verbose) args.push('--verbose');
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
    this.summary = {
      exitCode: null,
      signal: null,
      status: 'failed',
      steps: [],
      evals: [],
      checkpoints: [],
      wallSeconds: 0,
      stderrTail: [],
      command,
    };
    // Own process group: a terminal Ctrl-C reaches only us, and we forward it exactly once (a second SIGINT
    // would interrupt the trainer while it writes its checkpoint).
    this.child = cp.spawn(command[0], command.slice(1), {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
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
        s.error = exit.code === 0 ? 'the trainer exited without a done event' : `the trainer ${describeExit(exit.code, exit.signal)}`;
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
  if (opts.resume && !fs.existsSync(path.resolve(cwd, opts.resume)))
    throw new UserError(`diffuseq train: checkpoint ${opts.resume} not found`);
  if (opts.init && !fs.existsSync(path.join(path.resolve(cwd, opts.init), 'manifest.json')))
    throw new UserError(`diffuseq train: --init ${opts.init} is not a model package (no manifest.json)`);
  const env = { ...(opts.env ?? process.env) };
  const py: PythonInfo =
    typeof opts.python === 'object'
      ? opts.python
      : opts.python
        ? { executable: opts.python, torch: '?', version: '?', cuda: false }
        : requirePythonWithTorch(env);
  if ((opts.gpus ?? 1) > 1 && typeof opts.python !== 'string' && !py.cuda) {
    throw new UserError(`diffuseq train: --gpus ${opts.gpus} needs CUDA, but torch ${py.torch} in ${py.executable} sees no GPU`);
  }
  Object.assign(env, trainerProcessEnv(opts.trainerRoot ?? findTrainerRoot(), env));
  const alloc = chooseAllocator(env);
  Object.assign(env, alloc.env);
  const run = new TrainingRun(trainCommand(py.executable, opts), env, cwd);
  run.allocator = alloc.description;
  return run;
}
