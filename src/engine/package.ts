/**
 * Loading and validating a model package (docs/model-format.md): the folder, its manifest (manifest.ts), the
 * embedding matrix, the tokenizer files and the word list. Every problem is reported as one `ModelPackageError`
 * whose message names the folder and what is missing or wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelPackageError } from './errors';
import { readManifestJson, validateManifest, type ModelManifest } from './manifest';
import { decodeWordList } from './wordList';

export interface ModelPackage {
  /** Absolute path of the package folder. */
  dir: string;
  manifest: ModelManifest;
  /** The (vocabSize + 1) × dim embedding matrix as float32 (converted when stored as float16). */
  embeddings: Float32Array;
  paths: { denoiser: string; rounding: string; tokenizer: string; tokenizerConfig: string; embeddings: string };
  /** The words of the tokenizer's training text (wordList.ts), when the package has a word list. */
  words?: string[];
}

export function loadModelPackage(dir: string): ModelPackage {
  // Name the folder as the user gave it (relative names stay short), but work with the absolute path.
  const shown = dir;
  const abs = path.resolve(dir);
  const fail = (detail: string): never => {
    throw new ModelPackageError(shown, detail);
  };
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return fail('model folder not found');
  }
  if (!st.isDirectory()) {
    fail('is not a folder (a model package is a folder with manifest.json)');
  }
  let raw: Record<string, unknown> | undefined;
  try {
    raw = readManifestJson(abs);
  } catch (e) {
    return fail((e as ModelPackageError).detail);
  }
  if (raw === undefined) return fail('manifest.json is missing');
  const manifest = validateManifest(raw, fail);

  const paths = {
    denoiser: path.join(abs, manifest.files.denoiser),
    rounding: path.join(abs, manifest.files.rounding),
    tokenizer: path.join(abs, manifest.files.tokenizer),
    tokenizerConfig: path.join(abs, manifest.files.tokenizerConfig),
    embeddings: path.join(abs, manifest.embedding.file),
  };
  for (const [key, p] of Object.entries(paths)) {
    if (!isFile(p)) {
      const field = key === 'embeddings' ? 'embedding.file' : `files.${key}`;
      fail(`${path.relative(abs, p)} is missing (manifest ${field})`);
    }
  }

  // embeddings.bin
  const { vocabSize, dim, dtype } = manifest.embedding;
  const bytesPer = dtype === 'float16' ? 2 : 4;
  const expected = (vocabSize + 1) * dim * bytesPer;
  const size = fs.statSync(paths.embeddings).size;
  if (size !== expected) {
    fail(
      `${manifest.embedding.file} has ${size} bytes, expected (vocabSize + 1) · dim · ${bytesPer} = ` +
        `(${vocabSize} + 1) · ${dim} · ${bytesPer} = ${expected}`,
    );
  }
  const buf = fs.readFileSync(paths.embeddings);
  const embeddings = decodeMatrix(buf, dtype, (vocabSize + 1) * dim);
  for (let i = 0; i < embeddings.length; i++) {
    if (!Number.isFinite(embeddings[i])) {
      fail(`${manifest.embedding.file} contains a non-finite value at row ${Math.floor(i / dim)}`);
    }
  }

  // tokenizer files must at least be JSON
  for (const key of ['tokenizer', 'tokenizerConfig'] as const) {
    try {
      JSON.parse(fs.readFileSync(paths[key], 'utf8'));
    } catch (e) {
      fail(`${manifest.files[key]} is not valid JSON (${(e as Error).message})`);
    }
  }

  return { dir: abs, manifest, embeddings, paths, words: readWords(abs, manifest, fail) };
}

/** The package's word list (manifest `files.words`), or undefined for a package without one. */
function readWords(abs: string, manifest: ModelManifest, fail: (detail: string) => never): string[] | undefined {
  const rel = manifest.files.words;
  if (rel === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(abs, rel));
  } catch {
    return fail(`${rel} is missing (manifest files.words)`);
  }
  try {
    return decodeWordList(bytes);
  } catch (e) {
    return fail(`${rel} (manifest files.words) ${(e as Error).message}`);
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** float32 / float16 little-endian bytes → Float32Array (always a fresh, aligned copy). */
export function decodeMatrix(buf: Uint8Array, dtype: 'float32' | 'float16', count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dtype === 'float32') {
    for (let i = 0; i < count; i++) {
      out[i] = dv.getFloat32(i * 4, true);
    }
  } else {
    for (let i = 0; i < count; i++) {
      out[i] = halfToFloat(dv.getUint16(i * 2, true));
    }
  }
  return out;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) {
    return s * f * 2 ** -24;
  }
  if (e === 31) {
    return f ? NaN : s * Infinity;
  }
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
