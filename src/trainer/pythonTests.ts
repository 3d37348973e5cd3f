/**
 * `npm run test:py`: runs the Python trainer's unittest suite (test/trainer/python) with a Python that has
 * torch. Without one it prints a SKIP line and exits 0, except under CI=true where that is a failure.
 */
import * as cp from 'child_process';
import * as path from 'path';
import { findPythonWithTorch, findTrainerRoot, trainerProcessEnv } from './pythonEnv';

export const PY_INSTALL_LINE = 'sudo apt-get install python3-torch python3-onnx';

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.CI ?? '');
}

/** Runs the suite; resolves to the exit code to use. */
export function runPythonTests(root: string = findTrainerRoot(), env: NodeJS.ProcessEnv = process.env, extraArgs: string[] = []): number {
  const found = findPythonWithTorch(env);
  if (!found.python) {
    const why = found.tried.map((t) => `${t.executable}: ${t.reason}`).join('; ');
    if (isCI(env)) {
      process.stderr.write(
        `test:py FAILED: no Python with torch (CI=true) — ${why}\nInstall: ${PY_INSTALL_LINE} (or pip install torch onnx), or set DIFFUSEQ_PYTHON.\n`,
      );
      return 1;
    }
    process.stdout.write(
      `SKIP test:py — no Python with torch (${why}).\n  Install: ${PY_INSTALL_LINE}  (or: pip install torch onnx), or set DIFFUSEQ_PYTHON. See docs/training.md.\n`,
    );
    return 0;
  }
  const py = found.python;
  process.stdout.write(`test:py: ${py.executable} (Python ${py.version}, torch ${py.torch})\n`);
  const r = cp.spawnSync(py.executable, ['-m', 'unittest', 'discover', '-s', path.join('test', 'trainer', 'python'), '-v', ...extraArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, ...trainerProcessEnv(root, env) },
  });
  if (r.error) {
    process.stderr.write(`test:py: cannot run ${py.executable}: ${r.error.message}\n`);
    return 1;
  }
  if (r.signal) return 1;
  return r.status ?? 1;
}

if (require.main === module) {
  process.exitCode = runPythonTests(findTrainerRoot(), process.env, process.argv.slice(2));
}
