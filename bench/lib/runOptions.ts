/**
 * The options `npm run bench` and `npm run bench:quality` read alike: the repository, the model package, the
 * provider and threads, the results folder, --quick and --verbose.
 */
import * as path from 'path';
import { flag, num, type ParsedArgs, str } from './args';
import { defaultModelDir, modelInfo, repoRoot } from './engine';
import type { ModelInfo } from './schema';

export interface RunOptions {
  root: string;
  quick: boolean;
  verbose: boolean;
  provider: string;
  /** onnxruntime intra-op threads; undefined: onnxruntime's choice (`--threads 0` or left out). */
  threads?: number;
  modelDir: string;
  /** What the result file records about the model (throws when there is no package at modelDir). */
  model: ModelInfo;
  outDir: string;
}

export function runOptions(args: ParsedArgs): RunOptions {
  const root = repoRoot();
  const threads = num(args, 'threads', 0, { integer: true, min: 0 });
  const modelDir = path.resolve(str(args, 'model') ?? defaultModelDir(root));
  return {
    root,
    quick: flag(args, 'quick'),
    verbose: flag(args, 'verbose'),
    provider: str(args, 'provider', 'cpu'),
    threads: threads > 0 ? threads : undefined,
    modelDir,
    model: modelInfo(modelDir, root),
    outDir: path.resolve(str(args, 'out') ?? path.join(root, 'bench', 'results')),
  };
}
