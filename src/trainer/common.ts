/**
 * Helpers shared by the TypeScript side of training (prepare, runner, export, pythonTests):
 * finding the trainer root, finding a Python that has torch, and a small argv parser.
 */
import { INSTALL_LINE, INSTALL_LINE_APT, probePythonSync } from './pythonProbe';
import * as fs from 'fs';
import * as path from 'path';

/** An error whose message is meant for the user as is (the CLI prints it without a stack trace). */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * The repository (or installed extension) root: the folder that holds `src/trainer/python/diffuseq_trainer`.
 * Walks up from `start` (default: this file's folder, i.e. `out/src/trainer` when compiled, or `dist/` in the
 * extension bundle), so it works from `out/`, `dist/` and the source tree alike.
 */
export function findTrainerRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'src', 'trainer', 'python', 'diffuseq_trainer'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Fall back to the folder that holds package.json (the trainer may not be written yet).
  dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'trainer'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new UserError(`cannot find the trainer sources (src/trainer/python) above ${start}`);
}

/** PYTHONPATH entry of the trainer package for a given root. */
export function trainerPythonPath(root: string): string {
  return path.join(root, 'src', 'trainer', 'python');
}

export interface PythonInfo {
  /** The executable (as given or found on PATH). */
  executable: string;
  /** torch.__version__ */
  torch: string;
  /** python's sys.version (first word). */
  version: string;
  cuda: boolean;
}

export interface FindPythonResult {
  python?: PythonInfo;
  /** Each candidate tried and why it was rejected. */
  tried: { executable: string; reason: string }[];
}

/**
 * Finds a Python that can `import torch` with the project's one probe (src/trainer/pythonProbe.ts, which the
 * extension uses too): `$DIFFUSEQ_PYTHON` (when set, only that one), then `python3`, then `/usr/bin/python3`.
 * Synchronous; each probe takes about a second (importing torch).
 */
export function findPythonWithTorch(env: NodeJS.ProcessEnv = process.env): FindPythonResult {
  const r = probePythonSync({ env });
  const tried = r.attempts.filter((a) => !a.ok).map((a) => ({ executable: a.python, reason: a.error ?? 'failed' }));
  if (!r.ok) return { tried };
  return { python: { executable: r.python, torch: r.torch, version: r.pythonVersion, cuda: r.cuda }, tried };
}

/** The message shown when no Python with torch is found. */
export function noTorchMessage(tried: { executable: string; reason: string }[], extraPackages = ''): string {
  const lines = [
    'diffuseq: no Python with PyTorch found.',
    ...tried.map((t) => `  tried ${t.executable}: ${t.reason}`),
    'Install PyTorch, then run again:',
    `  Debian/Ubuntu:  ${INSTALL_LINE_APT}${extraPackages ? ' ' + extraPackages : ''}`,
    `  pip:            ${INSTALL_LINE}${extraPackages ? ' onnx' : ''}`,
    'or point DIFFUSEQ_PYTHON at a Python that has torch. See docs/training.md.',
  ];
  return lines.join('\n');
}

/** Finds Python with torch or throws a UserError with the install lines. */
export function requirePythonWithTorch(env: NodeJS.ProcessEnv = process.env): PythonInfo {
  const r = findPythonWithTorch(env);
  if (!r.python) throw new UserError(noTorchMessage(r.tried), 2);
  return r.python;
}

/** Parsed command line: flags with their values in order of appearance. */
export interface ParsedArgs {
  /** Every flag occurrence in order (`--x a b` gives {name:'x', values:['a','b']}). */
  flags: { name: string; values: string[] }[];
  positional: string[];
}

/** Splits argv into flags (`--name v…` or `--name=v`) and positionals. */
export function parseArgs(argv: string[]): ParsedArgs {
  const flags: { name: string; values: string[] }[] = [];
  const positional: string[] = [];
  let current: { name: string; values: string[] } | undefined;
  for (const a of argv) {
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        flags.push({ name: a.slice(2, eq), values: [a.slice(eq + 1)] });
        current = undefined;
      } else {
        current = { name: a.slice(2), values: [] };
        flags.push(current);
      }
    } else if (current) {
      current.values.push(a);
    } else {
      positional.push(a);
    }
  }
  return { flags, positional };
}

/** Last value of a single-valued flag. */
export function flagValue(p: ParsedArgs, name: string): string | undefined {
  let v: string | undefined;
  for (const f of p.flags) {
    if (f.name !== name) continue;
    if (f.values.length !== 1) throw new UserError(`--${name} takes one value`);
    v = f.values[0];
  }
  return v;
}

export function flagBool(p: ParsedArgs, name: string): boolean {
  for (const f of p.flags) {
    if (f.name === name) {
      if (f.values.length) throw new UserError(`--${name} takes no value (got ${f.values.join(' ')})`);
      return true;
    }
  }
  return false;
}

export function numberFlag(p: ParsedArgs, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = flagValue(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n))) throw new UserError(`--${name} must be ${opts.int ? 'an integer' : 'a number'} (got ${v})`);
  if (opts.min !== undefined && n < opts.min) throw new UserError(`--${name} must be ≥ ${opts.min} (got ${v})`);
  if (opts.max !== undefined && n > opts.max) throw new UserError(`--${name} must be ≤ ${opts.max} (got ${v})`);
  return n;
}

export function checkKnownFlags(p: ParsedArgs, known: string[], command: string): void {
  for (const f of p.flags) {
    if (!known.includes(f.name)) throw new UserError(`diffuseq ${command}: unknown option --${f.name} (known: ${known.map((k) => '--' + k).join(' ')})`);
  }
  if (p.positional.length) throw new UserError(`diffuseq ${command}: unexpected argument ${p.positional[0]}`);
}

/** Streams of a command (compatible with src/cli's CliIo). */
export interface MainIo {
  stdout?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr?: { write(s: string): unknown };
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command body and turns a UserError into its full (multi-line) message on stderr and its exit code,
 * so callers that print only one line (src/cli) do not lose the install lines or the parity numbers.
 */
export async function withUserErrors(io: MainIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UserError) {
      (io.stderr ?? process.stderr).write(e.message + '\n');
      return e.exitCode;
    }
    throw e;
  }
}

/** Runs a CLI main function and turns UserErrors into one message + exit code (no stack trace). */
export function runMain(main: (argv: string[]) => Promise<number>, argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(err.message + '\n');
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`diffuseq: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}
