/**
 * Running a Node script as a child process with a time limit, keeping its output: the eval command of the quality
 * sweep and the throughput run, and the integration runner that measures the extension's activation.
 */
import { spawn } from 'child_process';

export interface ScriptRun {
  /** Wall seconds of the whole process. */
  seconds: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 8000 characters of stderr. */
  stderr: string;
  timedOut: boolean;
}

export interface ScriptOptions {
  cwd: string;
  /** SIGKILL after this many milliseconds (`timedOut` is then true). */
  timeoutMs: number;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Echo the child's stdout and stderr to this process's stderr as they come. */
  echo?: boolean;
}

/** Runs `node script ...args`. Never rejects for a non-zero exit: the caller reads `code`. */
export function runNodeScript(script: string, args: readonly string[], opts: ScriptOptions): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c) => {
      stdout += c;
      if (opts.echo) process.stderr.write(String(c).replace(/^/gm, '    │ '));
    });
    child.stderr.on('data', (c) => {
      stderr = (stderr + c).slice(-8000);
      if (opts.echo) process.stderr.write(String(c).replace(/^/gm, '    │ '));
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
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
