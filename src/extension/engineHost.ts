/**
 * The engine host: the child process side of the protocol in engineProtocol.ts. Plain node, no vscode.
 * `runHost` takes the message port and the engine loader as arguments so the unit tests can drive it
 * with a fake engine; engineHostMain.ts wires it to process IPC and the real engine (src/engine).
 *
 * Requests run one at a time in arrival order (a load waits for the rewrites before it). A `cancel`
 * of a queued rewrite answers at once; of the running one, it aborts the engine's AbortSignal.
 */
import type { EngineLoadOptions, ExecutionProviderName, RewriteOptions, RewriteResult } from '../engine';
import { ClientMessage, HostMessage, isClientMessage, ModelInfo, PROTOCOL_VERSION, serializeError } from './engineProtocol';

/** The part of the engine (src/engine's RewriteEngine) the host uses. */
export interface EngineLike {
  readonly manifest: {
    name: string;
    description?: string;
    tasks?: Record<string, unknown>;
    provenance?: Record<string, unknown>;
  };
  readonly executionProvider: ExecutionProviderName;
  rewrite(text: string, options: RewriteOptions): Promise<RewriteResult>;
  dispose(): Promise<void> | void;
}

export type EngineLoader = (dir: string, options: EngineLoadOptions) => Promise<EngineLike>;

export interface HostPort {
  send(msg: HostMessage): void;
  onMessage(cb: (msg: unknown) => void): void;
  onDisconnect(cb: () => void): void;
  exit(code: number): void;
}

/** The port of a forked child: process.send / process.on('message'). */
export function processPort(): HostPort {
  if (!process.send) throw new Error('engineHost must be started with an IPC channel (child_process.fork).');
  return {
    send: (msg) => {
      if (process.connected) process.send!(msg);
    },
    onMessage: (cb) => process.on('message', cb),
    onDisconnect: (cb) => process.on('disconnect', cb),
    exit: (code) => process.exit(code),
  };
}

interface Job {
  id: number;
  kind: 'load' | 'rewrite';
  run: (signal: AbortSignal) => Promise<void>;
  controller: AbortController;
}

export function modelInfo(dir: string, engine: EngineLike): ModelInfo {
  const m = engine.manifest;
  const note = m.provenance && typeof m.provenance.note === 'string' ? m.provenance.note : undefined;
  return {
    dir,
    name: m.name,
    description: m.description ?? '',
    executionProvider: engine.executionProvider,
    tasks: Object.keys(m.tasks ?? {}),
    note,
  };
}

export interface HostHandle {
  /** Resolves when the queue is empty (tests). */
  idle(): Promise<void>;
}

export function runHost(port: HostPort, loadEngine: EngineLoader): HostHandle {
  let engine: EngineLike | undefined;
  const queue: Job[] = [];
  let current: Job | undefined;
  let idleWaiters: Array<() => void> = [];
  let shuttingDown = false;

  const log = (message: string) => port.send({ type: 'log', message });

  const pump = async () => {
    if (current) return;
    const job = queue.shift();
    if (!job) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
      return;
    }
    current = job;
    try {
      await job.run(job.controller.signal);
    } catch (e) {
      const cancelled = job.controller.signal.aborted;
      port.send({ type: 'error', id: job.id, error: serializeError(e, cancelled) });
    } finally {
      current = undefined;
      void pump();
    }
  };

  const enqueue = (job: Job) => {
    queue.push(job);
    void pump();
  };

  const shutdown = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const j of queue.splice(0)) j.controller.abort();
    current?.controller.abort();
    try {
      await engine?.dispose();
    } catch {
      /* exiting anyway */
    }
    port.exit(0);
  };

  const handle = (msg: ClientMessage) => {
    switch (msg.type) {
      case 'load':
        enqueue({
          id: msg.id,
          kind: 'load',
          controller: new AbortController(),
          run: async () => {
            const old = engine;
            engine = undefined;
            if (old) await old.dispose();
            const t0 = Date.now();
            const e = await loadEngine(msg.modelDir, { ...msg.options, log });
            engine = e;
            log(`model loaded from ${msg.modelDir} in ${Date.now() - t0} ms (execution provider ${e.executionProvider})`);
            port.send({ type: 'loaded', id: msg.id, model: modelInfo(msg.modelDir, e) });
          },
        });
        return;
      case 'rewrite':
        enqueue({
          id: msg.id,
          kind: 'rewrite',
          controller: new AbortController(),
          run: async (signal) => {
            if (signal.aborted) throw new Error('cancelled');
            if (!engine) throw new Error('No model is loaded in the engine process.');
            const result = await engine.rewrite(msg.text, {
              ...msg.options,
              signal,
              onProgress: (progress) => port.send({ type: 'progress', id: msg.id, progress }),
            });
            if (signal.aborted) throw new Error('cancelled');
            port.send({ type: 'result', id: msg.id, result });
          },
        });
        return;
      case 'cancel': {
        const i = queue.findIndex((j) => j.id === msg.id);
        if (i >= 0) {
          const [job] = queue.splice(i, 1);
          job.controller.abort();
          port.send({ type: 'error', id: job.id, error: { name: 'AbortError', message: 'cancelled', cancelled: true } });
        } else if (current && current.id === msg.id) {
          current.controller.abort();
        }
        return;
      }
      case 'shutdown':
        void shutdown();
        return;
    }
  };

  port.onMessage((m) => {
    if (isClientMessage(m)) handle(m);
    else log(`engine host: ignored a message that is not part of the protocol: ${JSON.stringify(m).slice(0, 200)}`);
  });
  // The extension host went away: nothing will read our answers.
  port.onDisconnect(() => void shutdown());
  port.send({ type: 'ready', pid: process.pid, protocol: PROTOCOL_VERSION });

  return {
    idle: () =>
      new Promise<void>((resolve) => {
        if (!current && queue.length === 0) resolve();
        else idleWaiters.push(resolve);
      }),
  };
}
