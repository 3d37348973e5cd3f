/**
 * The engine runs in a child process (dist/engineHost.js, forked with an IPC channel) so that a native
 * crash in onnxruntime cannot take the extension host down. This file is the client side of the messages in
 * engineProtocol.ts: it starts the process, sends requests and matches their answers, restarts the process after
 * a crash and stops it when it stalls. No vscode import: the unit tests run it under plain node against a fake host.
 */
import { ChildProcess, fork as nodeFork, ForkOptions } from 'node:child_process';
import { AbortError, type RewriteResult } from '../engine';
import { EngineCrashedError, EngineError } from './engineErrors';
import {
  ClientMessage,
  HostLoadOptions,
  HostMessage,
  HostRewriteOptions,
  isHostMessage,
  ModelInfo,
  RewriteProgress,
} from './engineProtocol';

export interface EngineClientOptions {
  /** Absolute path of the host script (dist/engineHost.js in the bundle). */
  hostPath: string;
  /** Environment for the host (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Node options for the host (default: none, so an inspector flag of the parent is not inherited). */
  execArgv?: string[];
  /** Where log lines go (the host's `log` messages and stderr, and the client's own notes). */
  log?: (line: string) => void;
  /** Called when the host process ends unexpectedly. */
  onCrash?: (e: EngineCrashedError) => void;
  /** Replaces child_process.fork (tests). */
  fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
  /**
   * A rewrite fails, and the host is stopped, when the host has sent nothing (no progress, no answer) for this long
   * (default 60 s; the engine reports every solver step). A frozen engine used to make every later run wait forever.
   */
  stallMs?: number;
}

interface Pending {
  kind: 'load' | 'rewrite';
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: RewriteProgress) => void;
  cancelled?: boolean;
}

export interface RewriteCall {
  onProgress?: (p: RewriteProgress) => void;
  signal?: AbortSignal;
}

const STDERR_TAIL_LINES = 30;

export class EngineClient {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastLoad: { modelDir: string; options: HostLoadOptions } | undefined;
  private loadedModel: ModelInfo | undefined;
  private stderrTail: string[] = [];
  private disposed = false;
  /** Host processes we asked to stop: their exit is not a crash. */
  private readonly stopping = new WeakSet<ChildProcess>();
  /** How many times the host was (re)started; 1 after the first start. */
  starts = 0;
  /** The last crash, until a restart succeeds. */
  lastCrash: EngineCrashedError | undefined;

  /** When the host last sent anything (the stall watchdog of `rewrite`). */
  private lastHeard = 0;

  constructor(private readonly opts: EngineClientOptions) {}

  get model(): ModelInfo | undefined {
    return this.loadedModel;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** Starts the host if it is not running. Resolves when it said `ready`. */
  start(): Promise<void> {
    if (this.disposed) return Promise.reject(new Error('The engine client was disposed.'));
    if (this.child && this.ready) return this.ready;
    const fork = this.opts.fork ?? nodeFork;
    this.stderrTail = [];
    const child = fork(this.opts.hostPath, [], {
      env: this.opts.env ?? process.env,
      execArgv: this.opts.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.starts++;
    this.log(`engine host starting (pid ${child.pid}, start #${this.starts}): ${this.opts.hostPath}`);

    const lines = (prefix: string, buf: Buffer) => {
      for (const line of buf.toString('utf8').split(/\r?\n/)) {
        if (!line) continue;
        this.log(`${prefix}${line}`);
        if (prefix) {
          this.stderrTail.push(line);
          if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        }
      }
    };
    child.stdout?.on('data', (b: Buffer) => lines('', b));
    child.stderr?.on('data', (b: Buffer) => lines('[engine stderr] ', b));

    this.ready = new Promise<void>((resolve, reject) => {
      let settled = false;
      child.on('message', (m: unknown) => {
        this.lastHeard = Date.now();
        if (!isHostMessage(m)) return;
        if (m.type === 'ready' && !settled) {
          settled = true;
          this.log(`engine host ready (pid ${m.pid}, protocol ${m.protocol})`);
          resolve();
          return;
        }
        this.onMessage(m);
      });
      child.on('error', (err) => {
        this.log(`engine host error: ${err.message}`);
        if (!settled) {
          settled = true;
          this.child = undefined;
          this.ready = undefined;
          reject(new EngineCrashedError(`The DiffuSeq engine process could not be started: ${err.message}`, null, null, ''));
        }
      });
      child.on('exit', (code, signal) => {
        const wasCurrent = this.child === child;
        if (wasCurrent) {
          this.child = undefined;
          this.ready = undefined;
          this.loadedModel = undefined;
        }
        const expected = this.disposed || this.stopping.has(child);
        this.log(`engine host exited (code ${code}, signal ${signal})${expected ? '' : ' unexpectedly'}`);
        if (expected) {
          this.rejectAll(new Error('The engine was shut down.'));
          if (!settled) {
            settled = true;
            reject(new Error('The engine was shut down.'));
          }
          return;
        }
        const tail = this.stderrTail.join('\n');
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const crash = new EngineCrashedError(
          settled
            ? `The DiffuSeq engine process stopped unexpectedly (${how}). It will be restarted on the next request.`
            : `The DiffuSeq engine process failed to start (${how}).${tail ? ' ' + lastLine(tail) : ''}`,
          code,
          signal,
          tail,
        );
        this.lastCrash = crash;
        this.rejectAll(crash);
        if (!settled) {
          settled = true;
          reject(crash);
        }
        if (wasCurrent) this.opts.onCrash?.(crash);
      });
    });
    return this.ready;
  }

  private rejectAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(p.cancelled ? new AbortError() : e);
  }

  private onMessage(m: HostMessage): void {
    switch (m.type) {
      case 'log':
        this.log(m.message);
        return;
      case 'progress': {
        this.pending.get(m.id)?.onProgress?.(m.progress);
        return;
      }
      case 'loaded': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.loadedModel = m.model;
        p.resolve(m.model);
        return;
      }
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.resolve(m.result);
        return;
      }
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error.cancelled || p.cancelled) p.reject(new AbortError());
        else p.reject(new EngineError(m.error.message, m.error.name, m.error.stack));
        return;
      }
      case 'ready':
        return;
    }
  }

  private send(msg: ClientMessage): void {
    const child = this.child;
    if (!child || !child.connected) throw new Error('The engine process is not running.');
    child.send(msg);
  }

  private request<T>(
    kind: 'load' | 'rewrite',
    build: (id: number) => ClientMessage,
    extra?: Partial<Pending>,
  ): { id: number; promise: Promise<T> } {
    const id = this.nextId++;
    const promise = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { kind, resolve: resolve as (v: unknown) => void, reject, ...extra });
      try {
        this.send(build(id));
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    return { id, promise };
  }

  /**
   * Loads a model package in the host (replacing the one loaded). The package is remembered and loaded
   * again automatically when the host is restarted after a crash.
   */
  async load(modelDir: string, options: HostLoadOptions = {}): Promise<ModelInfo> {
    await this.start();
    this.lastLoad = { modelDir, options };
    const { promise } = this.request<ModelInfo>('load', (id) => ({ type: 'load', id, modelDir, options }));
    const model = await promise;
    this.lastCrash = undefined;
    return model;
  }

  /** True when `load` was called for this folder and options and the model is loaded in a live host. */
  isLoaded(modelDir: string, options: HostLoadOptions = {}): boolean {
    return (
      this.running &&
      !!this.loadedModel &&
      !!this.lastLoad &&
      this.lastLoad.modelDir === modelDir &&
      JSON.stringify(this.lastLoad.options) === JSON.stringify(options)
    );
  }

  /**
   * Rewrites `text`. Restarts the host (and reloads the last model) when it is not running, e.g. after a
   * crash. Rejects with AbortError when `signal` aborts.
   */
  async rewrite(text: string, options: HostRewriteOptions, call: RewriteCall = {}): Promise<RewriteResult> {
    if (call.signal?.aborted) throw new AbortError();
    if (!this.running || !this.loadedModel) {
      if (!this.lastLoad) throw new Error('No model is loaded.');
      this.log('engine host not running: restarting it and loading the model again');
      await this.load(this.lastLoad.modelDir, this.lastLoad.options);
    }
    if (call.signal?.aborted) throw new AbortError();
    const pendingExtra: Partial<Pending> = { onProgress: call.onProgress };
    const { id, promise } = this.request<RewriteResult>('rewrite', (i) => ({ type: 'rewrite', id: i, text, options }), pendingExtra);
    const onAbort = () => this.cancel(id);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    const watchdog = this.watchStall(id);
    try {
      return await Promise.race([promise, watchdog.stalled]);
    } finally {
      watchdog.dispose();
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Rejects when the host has been silent for `stallMs` while request `id` is open: the request fails with a
   * clear message and the host is stopped (the next request starts a new one).
   */
  private watchStall(id: number): { stalled: Promise<never>; dispose(): void } {
    const stallMs = this.opts.stallMs ?? 60_000;
    this.lastHeard = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(
        () => {
          if (!this.pending.has(id) || Date.now() - this.lastHeard < stallMs) return;
          clearInterval(timer);
          this.pending.delete(id);
          const s = Math.round(stallMs / 1000);
          this.log(`engine host silent for ${s} s during a rewrite: stopping it`);
          reject(
            new EngineCrashedError(
              `The DiffuSeq engine stopped responding (nothing from it for ${s} s), so it was stopped. It starts again on the next request.`,
              null,
              null,
              this.stderrTail.join('\n'),
            ),
          );
          void this.stop(0);
        },
        Math.max(10, Math.min(1000, stallMs / 4)),
      );
    });
    return { stalled, dispose: () => clearInterval(timer) };
  }

  /**
   * Cancels a rewrite: its promise rejects with AbortError at once, and the host is asked to abort it
   * (the engine stops at its next step; a request sent meanwhile waits in the host's queue until then).
   */
  cancel(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    p.cancelled = true;
    this.pending.delete(id);
    try {
      this.send({ type: 'cancel', id });
    } catch {
      /* not running: nothing to abort */
    }
    p.reject(new AbortError());
  }

  /** Stops the host: asks it to shut down, kills it after `graceMs`. */
  async dispose(graceMs = 2000): Promise<void> {
    this.disposed = true;
    await this.stop(graceMs);
  }

  /** Stops the host but keeps the client usable (the next request starts a new one). */
  async stop(graceMs = 2000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping.add(child);
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    try {
      if (child.connected) child.send({ type: 'shutdown' } satisfies ClientMessage);
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    if (this.child === child) {
      this.child = undefined;
      this.ready = undefined;
      this.loadedModel = undefined;
    }
  }
}

function lastLine(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim());
  return lines[lines.length - 1] ?? '';
}
