/**
 * Which model `diffuseq rewrite` and `eval` load and how: --model, else the default of src/common/defaultDirs.ts
 * under this package's root; a missing folder is one line that says where the path came from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelPackageError, RewriteEngine } from '../engine';
import { type CommandIo, usageError } from '../common/commandLine';
import { defaultModelDir } from '../common/defaultDirs';
import type { SamplingFlags } from './samplingFlags';

/** The package root: the nearest folder above this file with this project's package.json. */
export function packageRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    try {
      const name = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name;
      if (name === 'diffuseq-rewrite') {
        return dir;
      }
    } catch {
      // keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) {
      // Fall back to the layout out/src/cli → root.
      return path.resolve(start, '..', '..', '..');
    }
    dir = up;
  }
}

/** --model, else $DIFFUSEQ_MODEL, else models/default under the package root. */
export function resolveModelDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { dir: string; how: string } {
  if (flag) {
    return { dir: flag, how: '--model' };
  }
  return defaultModelDir(packageRoot(), env);
}

/**
 * Loads the engine; a missing default model gets a hint on how to point at one. `--task` is checked against the
 * model's tasks here, so an unknown task is a usage error (exit 2) like every other bad flag.
 */
export async function loadEngine(
  command: string,
  model: { dir: string; how: string },
  f: SamplingFlags,
  io: CommandIo,
): Promise<RewriteEngine> {
  const log = f.verbose ? (m: string) => io.stderr.write(`diffuseq: ${m}\n`) : undefined;
  let engine: RewriteEngine;
  try {
    engine = await RewriteEngine.load(model.dir, { executionProvider: f.provider, threads: f.threads, log });
  } catch (e) {
    if (e instanceof ModelPackageError && /model folder not found$/.test(e.message)) {
      const hint =
        model.how === 'default'
          ? 'no model is installed there: pass --model DIR or set DIFFUSEQ_MODEL'
          : model.how === 'DIFFUSEQ_MODEL'
            ? 'from the DIFFUSEQ_MODEL environment variable'
            : 'from --model';
      throw new ModelPackageError(e.dir, `model folder not found (${hint})`);
    }
    throw e;
  }
  if (!engine.tasks.includes(f.task)) {
    await engine.dispose();
    throw usageError(command, `unknown task ${JSON.stringify(f.task)}: this model supports ${engine.tasks.join(', ')}`);
  }
  return engine;
}
