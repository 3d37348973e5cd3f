/**
 * Finding model packages (folders with a manifest.json, docs/model-format.md) for "Select Model…" and
 * for choosing the active model. Plain node fs, no vscode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORMAT, MANIFEST_FILE, ModelPackageError, readManifestJson } from '../engine';

export interface ModelPackageEntry {
  dir: string;
  name: string;
  description: string;
  note?: string;
  /** Where it was found: the extension's models/ folder or the configured path. */
  source: 'bundled' | 'configured';
}

export function readManifestSummary(dir: string): { name: string; description: string; note?: string } | undefined {
  let m: Record<string, unknown> | undefined;
  try {
    m = readManifestJson(dir);
  } catch (e) {
    return { name: path.basename(dir), description: e instanceof ModelPackageError ? e.detail : String(e) };
  }
  if (!m || (m.format !== undefined && m.format !== FORMAT)) return undefined;
  const prov = (m.provenance ?? {}) as { note?: unknown };
  return {
    name: typeof m.name === 'string' && m.name ? m.name : path.basename(dir),
    description: typeof m.description === 'string' ? m.description : '',
    note: typeof prov.note === 'string' ? prov.note : undefined,
  };
}

export function isModelPackage(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

/** `root` itself when it is a package, else its immediate sub-folders that are packages (sorted by name). */
export function findPackagesIn(root: string, source: ModelPackageEntry['source']): ModelPackageEntry[] {
  if (!root) return [];
  const abs = path.resolve(root);
  const one = readManifestSummary(abs);
  if (one) return [{ dir: abs, ...one, source }];
  let names: string[];
  try {
    names = fs
      .readdirSync(abs, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
  names.sort();
  const out: ModelPackageEntry[] = [];
  for (const n of names) {
    const dir = path.join(abs, n);
    const s = readManifestSummary(dir);
    if (s) out.push({ dir, ...s, source });
  }
  return out;
}

/** All packages: the configured path's first, then the bundled ones; duplicates (same folder) removed. */
export function listModelPackages(bundledRoot: string, configuredPath: string): ModelPackageEntry[] {
  const seen = new Set<string>();
  const out: ModelPackageEntry[] = [];
  for (const e of [...findPackagesIn(configuredPath, 'configured'), ...findPackagesIn(bundledRoot, 'bundled')]) {
    if (seen.has(e.dir)) continue;
    seen.add(e.dir);
    out.push(e);
  }
  return out;
}

/**
 * Why `diffuseq.modelPath` names no model (it used to fall back to the bundled one without a word), or undefined
 * when it is empty or holds a package (itself or in a sub-folder).
 */
export function modelPathProblem(configuredPath: string): string | undefined {
  if (!configuredPath) return undefined;
  if (findPackagesIn(configuredPath, 'configured').length > 0) return undefined;
  const what = fs.existsSync(configuredPath) ? 'is not a model package (no manifest.json in it or in its sub-folders)' : 'does not exist';
  return `"diffuseq.modelPath" ${configuredPath} ${what}; using the bundled model instead`;
}

/**
 * The package to use: the chosen one (Select Model…) while it still exists; else the configured path when
 * it is a package; else the bundled `default`; else the first package found (configured, then bundled,
 * where names starting with `_` — test packages — come last).
 */
export function resolveActiveModel(bundledRoot: string, configuredPath: string, chosen: string | undefined): string | undefined {
  if (chosen && isModelPackage(chosen)) return path.resolve(chosen);
  if (configuredPath && isModelPackage(configuredPath)) return path.resolve(configuredPath);
  const def = path.join(bundledRoot, 'default');
  if (isModelPackage(def)) return path.resolve(def);
  const all = listModelPackages(bundledRoot, configuredPath);
  const regular = all.filter((e) => !path.basename(e.dir).startsWith('_'));
  return (regular[0] ?? all[0])?.dir;
}
