/**
 * Where a command looks when it is not told: the model package and the data folder. The CLI (`rewrite`, `eval`)
 * and the benchmarks read these two rules from here. Paths come back as written: the CLI names a missing folder
 * the way the user gave it; a caller that needs an absolute path resolves it.
 */
import * as path from 'node:path';

/** $DIFFUSEQ_MODEL, else models/default under `root` (the package or repository root); `how` says which. */
export function defaultModelDir(root: string, env: NodeJS.ProcessEnv = process.env): { dir: string; how: 'DIFFUSEQ_MODEL' | 'default' } {
  if (env.DIFFUSEQ_MODEL) {
    return { dir: env.DIFFUSEQ_MODEL, how: 'DIFFUSEQ_MODEL' };
  }
  return { dir: path.join(root, 'models', 'default'), how: 'default' };
}

/** $DIFFUSEQ_DATA, else ../shared/data next to `root` (the datasets' folder, each with train/valid/test.jsonl). */
export function defaultDataDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.DIFFUSEQ_DATA ? env.DIFFUSEQ_DATA : path.join(root, '..', 'shared', 'data');
}
