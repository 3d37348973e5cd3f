/**
 * Reading the pair files of `diffuseq prepare`: JSON-lines pairs or multi-reference rows (plain or gzipped), a
 * dataset folder's train/valid files, the held-out share of a dataset without a valid file, reversed paraphrase
 * pairs, and each dataset's licence.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import type { Task } from '../../engine';
import { UserError } from '../../common/commandLine';

/** Licences of the datasets we know, keyed by folder name (see the data folder's README.md: $DIFFUSEQ_DATA or ../shared/data). */
export const LICENCES: Record<string, string> = {
  qqp: 'Quora terms of service, non-commercial',
  asset: 'CC BY-NC 4.0',
  turkcorpus: 'GPL-3.0',
  onestop: 'CC BY-SA 4.0',
  mrpc: 'Microsoft Research Paraphrase Corpus licence, research use',
  // The declarative (prose) paraphrase sets: terms as the data folder's README records them.
  wmt: 'WMT news test sets, research use (texts © their publishers)',
  parasci: 'ParaSCI (ACL Anthology / arXiv sentences), research use',
  captions: 'Flickr30k / Flickr8k captions, non-commercial research use',
  coco: 'MS-COCO captions, CC BY 4.0',
  stsb: "STS Benchmark: scores CC BY-SA 4.0, texts under their sources' terms, research use",
  sick: 'SICK, CC BY-NC-SA 3.0 (non-commercial)',
};
export const UNKNOWN_LICENCE = 'unknown, see source';

export interface DataSpec {
  /** A folder (its train.jsonl[.gz] and, when present, valid.jsonl[.gz]) or a pair file (used as train). */
  paths: string[];
  task: Task;
  /** At most this many pairs from each file of this dataset (overrides PrepareOptions.limit). */
  limit?: number;
}

export interface Pair {
  src: string;
  trg: string;
}

export interface LoadedDataset {
  name: string;
  task: Task;
  licence: string;
  trainFiles: string[];
  validFiles: string[];
  validSource: 'file' | 'split' | 'none';
  train: Pair[];
  valid: Pair[];
  skippedEmpty: number;
  reversedAdded: number;
}

function readTextFile(file: string): string {
  const buf = fs.readFileSync(file);
  if (file.endsWith('.gz')) {
    try {
      return zlib.gunzipSync(buf).toString('utf8');
    } catch (e) {
      throw new UserError(`${file}: cannot gunzip (${(e as Error).message})`);
    }
  }
  return buf.toString('utf8');
}

/** Reads a JSON-lines pair file ({"src","trg"}) or multi-reference file ({"src","refs":[…]}, one pair per ref). */
export function readPairs(file: string, limit?: number): { pairs: Pair[]; skippedEmpty: number; records: number } {
  const text = readTextFile(file);
  const lines = text.split('\n');
  const pairs: Pair[] = [];
  let skippedEmpty = 0;
  let records = 0;
  for (let i = 0; i < lines.length; i++) {
    if (limit !== undefined && records >= limit) break;
    const line = lines[i].replace(/\r$/, '');
    if (!line.trim()) continue;
    const where = `${file}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new UserError(`${where}: malformed JSON line (${(e as Error).message}): ${line.slice(0, 80)}`);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj))
      throw new UserError(`${where}: expected a JSON object with "src" and "trg" (or "refs")`);
    const o = obj as Record<string, unknown>;
    if (typeof o.src !== 'string') throw new UserError(`${where}: "src" missing or not a string`);
    records++;
    let trgs: string[];
    if (typeof o.trg === 'string') trgs = [o.trg];
    else if (Array.isArray(o.refs) && o.refs.every((r) => typeof r === 'string')) trgs = o.refs as string[];
    else throw new UserError(`${where}: expected "trg" (a string) or "refs" (an array of strings)`);
    for (const trg of trgs) {
      if (!o.src.trim() || !trg.trim()) {
        skippedEmpty++;
        continue;
      }
      pairs.push({ src: o.src, trg });
    }
  }
  return { pairs, skippedEmpty, records };
}

function firstExisting(dir: string, base: string): string | undefined {
  for (const ext of ['.jsonl', '.jsonl.gz']) {
    const f = path.join(dir, base + ext);
    if (fs.existsSync(f)) return f;
  }
  return undefined;
}

/** Dataset name (the licence table key) of a folder or file: the folder name, or the file's folder name. */
export function datasetName(p: string): string {
  const abs = path.resolve(p);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) return path.basename(abs);
  const base = path
    .basename(abs)
    .replace(/\.gz$/, '')
    .replace(/\.jsonl$/, '');
  if (['train', 'valid', 'test', 'dev'].includes(base)) return path.basename(path.dirname(abs));
  return base;
}

/** Deterministic membership in the held-out share, by a hash of the source text (so duplicates go together). */
function inHeldOut(src: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  const h = crypto
    .createHash('sha1')
    .update('diffuseq-valid\0' + src.toLowerCase())
    .digest();
  return h.readUInt32BE(0) / 0x100000000 < fraction;
}

/** One dataset (a folder or a pair file) of a --data/--task pair, read whole, with its valid pairs and licence. */
export function loadDataset(
  spec: DataSpec,
  p: string,
  opts: { validFraction: number; bothDirections: boolean },
  limit: number | undefined,
): LoadedDataset {
  const abs = path.resolve(p);
  if (!fs.existsSync(abs)) throw new UserError(`--data ${p}: no such file or folder`);
  const name = datasetName(abs);
  let trainFiles: string[];
  let validFiles: string[] = [];
  if (fs.statSync(abs).isDirectory()) {
    const tr = firstExisting(abs, 'train');
    if (!tr) throw new UserError(`--data ${p}: the folder has no train.jsonl or train.jsonl.gz`);
    trainFiles = [tr];
    const va = firstExisting(abs, 'valid');
    if (va) validFiles = [va];
  } else {
    trainFiles = [abs];
  }
  let skippedEmpty = 0;
  let train: Pair[] = [];
  for (const f of trainFiles) {
    const r = readPairs(f, limit);
    train.push(...r.pairs);
    skippedEmpty += r.skippedEmpty;
  }
  const valid: Pair[] = [];
  let validSource: LoadedDataset['validSource'] = 'none';
  if (validFiles.length) {
    for (const f of validFiles) {
      const r = readPairs(f, limit);
      valid.push(...r.pairs);
      skippedEmpty += r.skippedEmpty;
    }
    validSource = 'file';
  } else if (opts.validFraction > 0) {
    const keep: Pair[] = [];
    for (const pr of train) (inHeldOut(pr.src, opts.validFraction) ? valid : keep).push(pr);
    train = keep;
    validSource = 'split';
  }
  let reversedAdded = 0;
  if (opts.bothDirections && spec.task === 'paraphrase') {
    const n = train.length;
    for (let i = 0; i < n; i++) train.push({ src: train[i].trg, trg: train[i].src });
    reversedAdded = n;
  }
  return {
    name,
    task: spec.task,
    licence: LICENCES[name] ?? UNKNOWN_LICENCE,
    trainFiles,
    validFiles,
    validSource,
    train,
    valid,
    skippedEmpty,
    reversedAdded,
  };
}
