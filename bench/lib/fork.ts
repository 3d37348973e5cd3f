/**
 * Running one benchmark job in a fresh worker process (bench/worker.ts), with a time limit.
 */
import { fork } from 'child_process';
import * as path from 'path';
import type { WorkerJob, WorkerReply } from './jobs';

export interface ForkOptions {
  /** Kill the worker (SIGKILL) after this many milliseconds. */
  timeoutMs: number;
  /** Echo the worker's stdout/stderr (engine logs) to this process's stderr. */
  verbose?: boolean;
  workerPath?: string;
}

export function workerPath(): string {
  return path.join(__dirname, '..', 'worker.js');
}

/** Forks the worker, sends it `job`, resolves with its result; rejects with its error (and stderr tail). */
export function runInWorker<T>(job: WorkerJob, opts: ForkOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(opts.workerPath ?? workerPath(), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      const s = chunk.toString();
      tail = (tail + s).slice(-4000);
      if (opts.verbose) process.stderr.write(s.replace(/^/gm, '    │ '));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let settled = false;
    const done = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(() =>
        reject(new Error(`worker timed out after ${Math.round(opts.timeoutMs / 1000)} s${tail ? `; last output:\n${tail}` : ''}`)),
      );
    }, opts.timeoutMs);
    child.on('message', (m: WorkerReply) => {
      if (m.ok) {
        done(() => resolve(m.result as T));
      } else {
        done(() => reject(new Error(m.error + (tail ? `\n--- worker output ---\n${tail}` : ''))));
      }
    });
    child.on('error', (e) => done(() => reject(e)));
    child.on('exit', (code, signal) => {
      done(() => reject(new Error(`worker exited (${signal ?? code}) without a result${tail ? `; last output:\n${tail}` : ''}`)));
    });
    child.send(job);
  });
}
