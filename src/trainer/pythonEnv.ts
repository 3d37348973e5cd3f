/**
 * The Python side's environment for the commands that start it (train, export, `npm run test:py`): where the
 * trainer package is (`findTrainerRoot`, `trainerPythonPath`, `trainerProcessEnv`) and which Python has torch
 * (`findPythonWithTorch`, `requirePythonWithTorch`, through the one probe of pythonProbe.ts).
 */
import { UserError } from '../common/commandLine';
import { INSTALL_LINE, INSTALL_LINE_APT, probePythonSync } from './pythonProbe';
import * as fs from 'fs';
import * as path from 'path';

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
  throw new UserError(`cannot find the trainer sources (src/trainer/python) above ${start}`);
}

/** PYTHONPATH entry of the trainer package for a given root. */
export function trainerPythonPath(root: string): string {
  return path.join(root, 'src', 'trainer', 'python');
}

/**
 * What a trainer process adds to `env`: the trainer package first on PYTHONPATH (before any the user set), and
 * unbuffered output (its JSON-lines progress must arrive as it is written).
 */
export function trainerProcessEnv(root: string, env: NodeJS.ProcessEnv): { PYTHONPATH: string; PYTHONUNBUFFERED: string } {
  const pyPath = trainerPythonPath(root);
  return { PYTHONPATH: env.PYTHONPATH ? `${pyPath}${path.delimiter}${env.PYTHONPATH}` : pyPath, PYTHONUNBUFFERED: '1' };
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
  // Exit 1: the command line was fine (2 is for a bad one); the machine lacks PyTorch.
  if (!r.python) throw new UserError(noTorchMessage(r.tried), 1);
  return r.python;
}
