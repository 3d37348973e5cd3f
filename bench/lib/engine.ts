/**
 * How the benchmark reaches the engine and the model package. The engine is loaded at run time from the
 * compiled tree (out/src/engine), typed by src/engine/types.ts, so the pure parts of the benchmark (statistics,
 * schema, plots) build and test on their own.
 */
import * as fs from 'fs';
import * as path from 'path';
import { type EngineLoadOptions, type RewriteOptions, type RewriteResult, readManifestJson } from '../../src/engine';
import type { ModelInfo } from './schema';
import { defaultDataDir, defaultModelDir as defaultModelDirOf } from '../../src/common/defaultDirs';

/** The part of RewriteEngine the benchmark uses. */
export interface BenchEngine {
  rewrite(text: string, opts: RewriteOptions): Promise<RewriteResult>;
  /** Several texts at once, candidates of equal-length sources batched into one network call. */
  rewriteBatch?(texts: readonly string[], opts: RewriteOptions): Promise<RewriteResult[]>;
  /** How a text would be segmented and sized (L = sequence length the denoiser runs on). */
  plan?(text: string, task: RewriteOptions['task']): Array<{ L: number }>;
  dispose?(): Promise<void> | void;
}

interface EngineModule {
  RewriteEngine: { load(dir: string, opts?: EngineLoadOptions): Promise<BenchEngine> };
}

/** Repository root, from the compiled location out/bench/lib (or bench/lib under ts-node). */
export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bench'))) {
      return dir;
    }
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..', '..');
}

/** The compiled engine entry point. */
export function engineEntry(root = repoRoot()): string {
  return path.join(root, 'out', 'src', 'engine', 'index.js');
}

export function loadEngineModule(root = repoRoot()): EngineModule {
  const entry = engineEntry(root);
  if (!fs.existsSync(entry)) {
    throw new Error(`engine not built: ${path.relative(root, entry)} is missing (run \`npx tsc -p .\`)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(entry) as Partial<EngineModule>;
  if (!mod.RewriteEngine || typeof mod.RewriteEngine.load !== 'function') {
    throw new Error(`${entry} does not export RewriteEngine.load`);
  }
  return mod as EngineModule;
}

/** The default model folder, absolute: $DIFFUSEQ_MODEL, else models/default (the rule: src/common/defaultDirs.ts). */
export function defaultModelDir(root = repoRoot()): string {
  return path.resolve(defaultModelDirOf(root).dir);
}

/** The data folder, absolute: $DIFFUSEQ_DATA, else ../shared/data next to the repository (src/common/defaultDirs.ts). */
export function dataDir(root = repoRoot()): string {
  return path.resolve(defaultDataDir(root));
}

/** What the result file records about the model (from manifest.json; no model code is run). */
export function modelInfo(dir: string, root = repoRoot()): ModelInfo {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read as JSON: these fields are optional here
  const m = readManifestJson(dir) as Record<string, any> | undefined;
  if (!m) {
    const hint = fs.existsSync(path.join(root, 'models'))
      ? ` (models here: ${
          fs
            .readdirSync(path.join(root, 'models'))
            .filter((n) => !n.startsWith('.'))
            .join(', ') || 'none'
        })`
      : '';
    throw new Error(`no model package at ${dir}: manifest.json is missing${hint}; pass --model DIR`);
  }
  const denoiser = path.join(dir, m.files?.denoiser ?? 'denoiser.onnx');
  const prov = (m.provenance ?? {}) as Record<string, unknown>;
  return {
    dir: path.relative(root, dir) || '.',
    name: String(m.name ?? path.basename(dir)),
    description: m.description,
    diffusionSteps: m.diffusion?.steps,
    parameters: m.model?.parameters,
    layers: m.model?.layers,
    width: m.model?.width,
    dim: m.embedding?.dim,
    vocabSize: m.embedding?.vocabSize,
    embeddingDtype: m.embedding?.dtype,
    selfConditioning: m.diffusion?.selfConditioning,
    denoiserBytes: fs.existsSync(denoiser) ? fs.statSync(denoiser).size : undefined,
    createdAt: typeof prov.createdAt === 'string' ? prov.createdAt : undefined,
    note: typeof prov.note === 'string' ? prov.note : undefined,
  };
}

/** Reads up to `limit` objects of a JSON Lines file (blank lines skipped). */
export function readJsonl<T = Record<string, unknown>>(file: string, limit = Infinity): T[] {
  const out: T[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (out.length >= limit) break;
    if (line.trim()) out.push(JSON.parse(line) as T);
  }
  return out;
}
