/**
 * `diffuseq prepare`: reads paraphrase/simplification pair files, trains an uncased WordPiece tokenizer on the
 * training text and writes the token shards of docs/data-format.md.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, wordPieceDecoder } from 'tokenizers';
import { DEFAULT_TARGET_BUDGET, targetBudget, type TargetBudgetSpec } from '../engine/text';
import { TASKS, type Task } from '../engine/types';
import { WORD_LIST_FILE, encodeWordList, pieceTableOf, wordsOf } from '../engine/wordList';
import {
  type CommandIo,
  UserError,
  intFlag,
  numberFlag,
  parseCommandLine,
  processIo,
  reportingErrors,
  runAsProcess,
  stringFlag,
  usageError,
} from '../common/commandLine';

/** The engine's tasks (src/engine/types.ts owns the list); prepare writes them in TASKS order. */
export type TaskName = Task;
export const TASK_TOKENS: Record<TaskName, string> = { paraphrase: '[PARA]', simplify: '[SIMP]' };
const TASK_CHOICES = TASKS.join(' or ');
export const SPECIAL_TOKENS = { pad: '[PAD]', unk: '[UNK]', sep: '[SEP]' } as const;

/** Licences of the datasets we know, keyed by folder name (see the data folder's README.md: $DIFFUSEQ_DATA or ../shared/data). */
export const LICENCES: Record<string, string> = {
  qqp: 'Quora terms of service, non-commercial',
  asset: 'CC BY-NC 4.0',
  turkcorpus: 'GPL-3.0',
  onestop: 'CC BY-SA 4.0',
  mrpc: 'Microsoft Research Paraphrase Corpus licence, research use',
};
export const UNKNOWN_LICENCE = 'unknown, see source';

export interface DataSpec {
  /** A folder (its train.jsonl[.gz] and, when present, valid.jsonl[.gz]) or a pair file (used as train). */
  paths: string[];
  task: TaskName;
  /** At most this many pairs from each file of this dataset (overrides PrepareOptions.limit). */
  limit?: number;
}

export interface PrepareOptions {
  data: DataSpec[];
  out: string;
  /**
   * A folder with a tokenizer.json (a model package, or an earlier prepare's output): encode with it instead
   * of training a new one, keeping its vocabulary, task tokens and special ids, so that `train --init` can
   * continue that model. Its tokenizer files are copied byte for byte.
   */
  tokenizerFrom?: string;
  /** Total vocabulary size including the special and task tokens (default 16000). */
  vocabSize?: number;
  /** Source part length including [TASK] and [SEP] (default 64). */
  maxSource?: number;
  /** Target part length including its [SEP] (default 64). */
  maxTarget?: number;
  /** At most this many pairs from each train file and from each valid file (default: all). */
  limit?: number;
  /** Share of a dataset's training pairs held out as valid when it has no valid file (default 0.02). */
  validFraction?: number;
  /** Paraphrase datasets only: add every training pair in both directions. */
  bothDirections?: boolean;
  /**
   * Target budget min(maxTarget, ceil(ratio·n)+extra), default 1.5/6: recorded in meta.lengths.targetBudget (the
   * trainer uses it when its config has none) and used for the report's overBudget counts.
   */
  budget?: { ratio: number; extra: number };
  /** Progress/report lines (default: stdout). */
  log?: (line: string) => void;
}

export interface Pair {
  src: string;
  trg: string;
}

interface LoadedDataset {
  name: string;
  task: TaskName;
  licence: string;
  trainFiles: string[];
  validFiles: string[];
  validSource: 'file' | 'split' | 'none';
  train: Pair[];
  valid: Pair[];
  skippedEmpty: number;
  reversedAdded: number;
}

export interface LengthStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface PartReport {
  pairs: number;
  tokens: number;
  unknownTokens: number;
  unknownRate: number;
  /** Lengths of the parts before truncation (source includes [TASK] and [SEP], target its [SEP]). */
  sourceLength: LengthStats;
  targetLength: LengthStats;
  truncatedSources: number;
  truncatedTargets: number;
  /** Targets longer (after truncation) than the budget min(maxTarget, ceil(ratio·n)+extra). */
  overBudget: number;
}

export interface DatasetReport {
  name: string;
  task: TaskName;
  licence: string;
  files: string[];
  validFiles: string[];
  validSource: 'file' | 'split' | 'none';
  pairs: number;
  validPairs: number;
  skippedEmpty: number;
  reversedAdded: number;
  train: PartReport;
  valid: PartReport;
}

export interface PrepareMeta {
  formatVersion: 1;
  vocabSize: number;
  tokenDtype: 'uint16' | 'uint32';
  tokens: { pad: number; unk: number; sep: number };
  tasks: Partial<Record<TaskName, { token: string; id: number }>>;
  lengths: { maxSource: number; maxTarget: number; targetBudget: { ratio: number; extra: number } };
  splits: { train: { examples: number; tokens: number }; valid: { examples: number; tokens: number } };
  data: { name: string; task: TaskName; files: string[]; validFiles: string[]; pairs: number; validPairs: number; licence: string }[];
  tokenizer: { type: 'WordPiece'; lowercase: true; trainedVocab: number; keptVocab: number; wordsUnencodable: number };
  report: {
    datasets: DatasetReport[];
    train: PartReport;
    valid: PartReport;
    seconds: { read: number; tokenizer: number; encode: number; write: number; total: number };
    bytes: Record<string, number>;
  };
  options: { bothDirections: boolean; validFraction: number; limit: number | null };
  createdAt: string;
}

export interface PrepareResult {
  out: string;
  meta: PrepareMeta;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

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

function loadDataset(
  spec: DataSpec,
  p: string,
  opts: Required<Pick<PrepareOptions, 'validFraction' | 'bothDirections'>>,
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

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

function configureTokenizer(tok: Tokenizer): void {
  tok.setNormalizer(bertNormalizer({ lowercase: true, cleanText: true, handleChineseChars: true }));
  tok.setPreTokenizer(bertPreTokenizer());
  tok.setDecoder(wordPieceDecoder('##', true));
}

export interface TrainedTokenizer {
  tokenizer: Tokenizer;
  specialIds: { pad: number; unk: number; sep: number };
  taskIds: Partial<Record<TaskName, number>>;
  trainedVocab: number;
  keptVocab: number;
}

/**
 * The tokenizer of an existing folder (a model package or prepared data). Refuses one that lacks the special
 * tokens or the task token of a task in the data, naming what is missing.
 */
export function loadTokenizer(dir: string, tasks: TaskName[]): TrainedTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(file)) throw new UserError(`--tokenizer ${dir}: no tokenizer.json there`);
  const tokenizer = Tokenizer.fromFile(file);
  const idOf = (tok: string): number => {
    const id = tokenizer.tokenToId(tok);
    if (id === undefined || id === null) {
      throw new UserError(
        `--tokenizer ${dir}: its tokenizer has no ${tok} token${Object.values(TASK_TOKENS).includes(tok) ? ' (the data has a task the model was not trained for)' : ''}`,
      );
    }
    return id;
  };
  const specialIds = { pad: idOf(SPECIAL_TOKENS.pad), unk: idOf(SPECIAL_TOKENS.unk), sep: idOf(SPECIAL_TOKENS.sep) };
  const taskIds: Partial<Record<TaskName, number>> = {};
  for (const t of tasks) taskIds[t] = idOf(TASK_TOKENS[t]);
  const size = tokenizer.getVocabSize(true);
  return { tokenizer, specialIds, taskIds, trainedVocab: size, keptVocab: size };
}

/**
 * Trains a WordPiece on the texts and cuts it to `vocabSize` entries in total. The binding's trainer has no
 * options, so the size is set by keeping the first entries of the trained vocabulary (the trainer orders it:
 * alphabet, continuing-subword characters, then merges by frequency). Every single character and `##`
 * character of the trained vocabulary is always kept, so every word the trained tokenizer can encode stays
 * encodable (checked by the caller on the training text). Special tokens come first: [PAD]=0 [UNK]=1 [SEP]=2,
 * then one task token per task in the data.
 *
 * Not bit-reproducible: the Rust trainer breaks ties between equally frequent merges (and orders the `##`
 * characters) by hash-map order, which is random per process, so two runs on the same text give vocabularies that
 * differ in a few dozen rare tokens (and therefore different ids). The binding offers no seed.
 * The binding's trainer also stops at 30000 tokens (its default), so a larger --vocab-size gets at most that.
 */
export async function trainTokenizer(texts: string[], tasks: TaskName[], vocabSize: number): Promise<TrainedTokenizer> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-prepare-'));
  try {
    const corpus = path.join(tmp, 'corpus.txt');
    // One text per line; line breaks inside a text would only split it into two "sentences" for counting.
    fs.writeFileSync(corpus, texts.map((t) => t.replace(/[\r\n]+/g, ' ')).join('\n') + '\n');
    const raw = new Tokenizer(WordPiece.empty() as unknown as ReturnType<typeof WordPiece.init>);
    configureTokenizer(raw);
    raw.train([corpus]);
    const trained = Object.entries(raw.getVocab(false)).sort((a, b) => a[1] - b[1]);
    const specials = [
      SPECIAL_TOKENS.pad,
      SPECIAL_TOKENS.unk,
      SPECIAL_TOKENS.sep,
      ...TASKS.filter((t) => tasks.includes(t)).map((t) => TASK_TOKENS[t]),
    ];
    const room = vocabSize - specials.length;
    const isChar = (tok: string) => [...tok].length === 1 || (tok.startsWith('##') && [...tok].length === 3);
    const chars = trained.filter(([t]) => isChar(t) && !specials.includes(t));
    if (chars.length > room) {
      throw new UserError(
        `--vocab-size ${vocabSize} is too small: the training text has ${chars.length} distinct characters/continuations, and ${specials.length} special tokens are needed`,
      );
    }
    const vocab: Record<string, number> = {};
    specials.forEach((s, i) => (vocab[s] = i));
    let next = specials.length;
    const keep = new Set<string>(chars.map(([t]) => t));
    let budget = room - keep.size;
    for (const [t] of trained) {
      if (keep.has(t) || specials.includes(t)) continue;
      if (budget <= 0) break;
      keep.add(t);
      budget--;
    }
    for (const [t] of trained) if (keep.has(t)) vocab[t] = next++; // trained order preserved
    const tokenizer = new Tokenizer(WordPiece.init(vocab, { unkToken: SPECIAL_TOKENS.unk, continuingSubwordPrefix: '##' }));
    configureTokenizer(tokenizer);
    tokenizer.addSpecialTokens(specials);
    const taskIds: Partial<Record<TaskName, number>> = {};
    for (const t of TASKS) if (tasks.includes(t)) taskIds[t] = vocab[TASK_TOKENS[t]];
    return { tokenizer, specialIds: { pad: 0, unk: 1, sep: 2 }, taskIds, trainedVocab: trained.length, keptVocab: next };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** tokenizer_config.json that lets @huggingface/transformers (and transformers' AutoTokenizer) load the folder. */
export function tokenizerConfig(taskTokens: string[], maxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
    model_max_length: maxLength,
    pad_token: SPECIAL_TOKENS.pad,
    unk_token: SPECIAL_TOKENS.unk,
    sep_token: SPECIAL_TOKENS.sep,
    additional_special_tokens: taskTokens,
    // The WordPiece decoder already cleans up (" ." → "."); a second pass would change nothing but is skipped.
    clean_up_tokenization_spaces: false,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding and report

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function lengthStats(values: number[]): LengthStats {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return {
    p50: percentile(s, 0.5),
    p90: percentile(s, 0.9),
    p99: percentile(s, 0.99),
    max: s.length ? s[s.length - 1] : 0,
    mean: Math.round(mean * 100) / 100,
  };
}

interface EncodedSplit {
  tokens: number[][]; // per example: source ids then target ids
  srcLens: number[];
  trgLens: number[];
}

interface PartAccumulator {
  srcRaw: number[];
  trgRaw: number[];
  tokens: number;
  unknown: number;
  truncatedSources: number;
  truncatedTargets: number;
  overBudget: number;
}

function newAcc(): PartAccumulator {
  return { srcRaw: [], trgRaw: [], tokens: 0, unknown: 0, truncatedSources: 0, truncatedTargets: 0, overBudget: 0 };
}

function finishAcc(a: PartAccumulator): PartReport {
  return {
    pairs: a.srcRaw.length,
    tokens: a.tokens,
    unknownTokens: a.unknown,
    unknownRate: a.tokens ? a.unknown / a.tokens : 0,
    sourceLength: lengthStats(a.srcRaw),
    targetLength: lengthStats(a.trgRaw),
    truncatedSources: a.truncatedSources,
    truncatedTargets: a.truncatedTargets,
    overBudget: a.overBudget,
  };
}

/** The engine's rule is the one rule (src/engine/text.ts); re-exported for prepare's callers. */
export { targetBudget };

async function encodeAll(tok: Tokenizer, texts: string[]): Promise<number[][]> {
  const out: number[][] = [];
  const chunk = 4096;
  for (let i = 0; i < texts.length; i += chunk) {
    const enc = await tok.encodeBatch(texts.slice(i, i + chunk), { addSpecialTokens: false });
    for (const e of enc) out.push(e.getIds());
  }
  return out;
}

function writeShards(
  dir: string,
  split: string,
  examples: EncodedSplit,
  dtype: 'uint16' | 'uint32',
): { tokensBytes: number; indexBytes: number; tokens: number } {
  const total = examples.tokens.reduce((s, t) => s + t.length, 0);
  const tokens = dtype === 'uint16' ? new Uint16Array(total) : new Uint32Array(total);
  const index = new Int32Array(examples.tokens.length * 4);
  let off = 0;
  for (let i = 0; i < examples.tokens.length; i++) {
    const t = examples.tokens[i];
    tokens.set(t, off);
    index[i * 4] = off;
    index[i * 4 + 1] = examples.srcLens[i];
    index[i * 4 + 2] = off + examples.srcLens[i];
    index[i * 4 + 3] = examples.trgLens[i];
    off += t.length;
  }
  if (off > 0x7fffffff) throw new UserError(`${split}: ${off} tokens do not fit int32 offsets`);
  if (os.endianness() !== 'LE') throw new Error('big-endian hosts are not supported');
  const tb = Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength);
  const ib = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
  fs.writeFileSync(path.join(dir, `${split}.tokens.bin`), tb);
  fs.writeFileSync(path.join(dir, `${split}.index.bin`), ib);
  return { tokensBytes: tb.length, indexBytes: ib.length, tokens: total };
}

// ---------------------------------------------------------------------------------------------------------------
// Main entry

/**
 * Encodes every dataset's pairs: [TASK] source [SEP] target [SEP], sources and targets cut to maxSource/maxTarget,
 * with the per-dataset and overall counts the report shows (lengths, truncations, unknown words, over-budget
 * targets).
 */
async function encodeDatasets(
  datasets: readonly LoadedDataset[],
  tk: TrainedTokenizer,
  limits: { maxSource: number; maxTarget: number; budget: TargetBudgetSpec },
  /** Called with every training source and target, whole (before the length cut): the word list's text. */
  onTrainText: (ids: readonly number[]) => void,
): Promise<{
  splits: Record<'train' | 'valid', EncodedSplit>;
  totals: Record<'train' | 'valid', PartAccumulator>;
  reports: DatasetReport[];
  wordsUnencodable: number;
}> {
  const { maxSource, maxTarget, budget } = limits;
  const { unk, sep } = tk.specialIds;
  const splits: Record<'train' | 'valid', EncodedSplit> = {
    train: { tokens: [], srcLens: [], trgLens: [] },
    valid: { tokens: [], srcLens: [], trgLens: [] },
  };
  const totals = { train: newAcc(), valid: newAcc() };
  const reports: DatasetReport[] = [];
  let wordsUnencodable = 0;
  for (const d of datasets) {
    const taskId = tk.taskIds[d.task]!;
    const parts: Record<'train' | 'valid', PartReport> = {} as Record<'train' | 'valid', PartReport>;
    for (const split of ['train', 'valid'] as const) {
      const pairs = d[split];
      const srcIds = await encodeAll(
        tk.tokenizer,
        pairs.map((p) => p.src),
      );
      const trgIds = await encodeAll(
        tk.tokenizer,
        pairs.map((p) => p.trg),
      );
      const acc = newAcc();
      const tot = totals[split];
      for (let i = 0; i < pairs.length; i++) {
        let s = srcIds[i];
        let t = trgIds[i];
        if (split === 'train') {
          onTrainText(s);
          onTrainText(t);
        }
        for (const a of [acc, tot]) {
          a.srcRaw.push(s.length + 2);
          a.trgRaw.push(t.length + 1);
        }
        if (s.length > maxSource - 2) {
          s = s.slice(0, maxSource - 2);
          acc.truncatedSources++;
          tot.truncatedSources++;
        }
        if (t.length > maxTarget - 1) {
          t = t.slice(0, maxTarget - 1);
          acc.truncatedTargets++;
          tot.truncatedTargets++;
        }
        const srcPart = [taskId, ...s, sep];
        const trgPart = [...t, sep];
        let unkCount = 0;
        for (const id of s) if (id === unk) unkCount++;
        for (const id of t) if (id === unk) unkCount++;
        if (split === 'train') wordsUnencodable += unkCount;
        const n = srcPart.length + trgPart.length;
        const over = trgPart.length > targetBudget(s.length, maxTarget, budget) ? 1 : 0;
        for (const a of [acc, tot]) {
          a.tokens += n;
          a.unknown += unkCount;
          a.overBudget += over;
        }
        splits[split].tokens.push([...srcPart, ...trgPart]);
        splits[split].srcLens.push(srcPart.length);
        splits[split].trgLens.push(trgPart.length);
      }
      parts[split] = finishAcc(acc);
    }
    reports.push({
      name: d.name,
      task: d.task,
      licence: d.licence,
      files: d.trainFiles,
      validFiles: d.validFiles,
      validSource: d.validSource,
      pairs: d.train.length,
      validPairs: d.valid.length,
      skippedEmpty: d.skippedEmpty,
      reversedAdded: d.reversedAdded,
      train: parts.train,
      valid: parts.valid,
    });
  }
  return { splits, totals, reports, wordsUnencodable };
}

/** tokenizer.json and tokenizer_config.json: copied byte for byte from `from`, else the trained ones. */
function writeTokenizerFiles(out: string, tk: TrainedTokenizer, from: string | undefined, taskTokens: string[], maxLength: number): void {
  if (from) {
    // Byte for byte: `train --init` checks that the data's tokenizer is the package's.
    fs.copyFileSync(path.join(from, 'tokenizer.json'), path.join(out, 'tokenizer.json'));
  } else {
    tk.tokenizer.save(path.join(out, 'tokenizer.json'), false);
  }
  const cfgFrom = from && path.join(from, 'tokenizer_config.json');
  if (cfgFrom && fs.existsSync(cfgFrom)) fs.copyFileSync(cfgFrom, path.join(out, 'tokenizer_config.json'));
  else fs.writeFileSync(path.join(out, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig(taskTokens, maxLength), null, 2) + '\n');
}

/**
 * words.txt.gz (src/engine/wordList.ts): the words that the written tokenizer.json assembles from the training
 * text's ids, which `export` copies into the package for the engine's constrained rounding. Returns the word count.
 */
export function writeWordList(out: string, texts: readonly (readonly number[])[]): number {
  const table = pieceTableOf(JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')));
  const words = new Set<string>();
  for (const ids of texts) for (const w of wordsOf(ids, table)) words.add(w);
  fs.writeFileSync(path.join(out, WORD_LIST_FILE), encodeWordList(words));
  return words.size;
}

export async function prepare(options: PrepareOptions): Promise<PrepareResult> {
  const t0 = Date.now();
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const vocabSize = options.vocabSize ?? 16000;
  const maxSource = options.maxSource ?? 64;
  const maxTarget = options.maxTarget ?? 64;
  const validFraction = options.validFraction ?? 0.02;
  const bothDirections = options.bothDirections ?? false;
  const budget = options.budget ?? { ...DEFAULT_TARGET_BUDGET };
  if (!options.data.length) throw new UserError('diffuseq prepare: give at least one --data DIR --task paraphrase|simplify');
  if (maxSource < 3) throw new UserError('--max-source must be at least 3 ([TASK], one token, [SEP])');
  if (maxTarget < 2) throw new UserError('--max-target must be at least 2 (one token, [SEP])');
  if (!(validFraction >= 0 && validFraction < 1)) throw new UserError('--valid-fraction must be in [0, 1)');

  // Read
  const datasets: LoadedDataset[] = [];
  for (const spec of options.data) {
    if (!TASKS.includes(spec.task)) throw new UserError(`unknown task ${spec.task} (${TASK_CHOICES})`);
    for (const p of spec.paths) datasets.push(loadDataset(spec, p, { validFraction, bothDirections }, spec.limit ?? options.limit));
  }
  const tasks = TASKS.filter((t) => datasets.some((d) => d.task === t));
  const tRead = Date.now();
  for (const d of datasets) {
    log(
      `read ${d.name} (${d.task}): ${d.train.length} train pairs${d.reversedAdded ? ` (incl. ${d.reversedAdded} reversed)` : ''}, ${d.valid.length} valid pairs (${d.validSource})${d.skippedEmpty ? `, ${d.skippedEmpty} empty skipped` : ''}`,
    );
  }
  const trainTotal = datasets.reduce((s, d) => s + d.train.length, 0);
  if (!trainTotal) throw new UserError('no training pairs found');

  // Tokenizer
  const texts: string[] = [];
  for (const d of datasets) for (const p of d.train.slice(0, d.train.length - d.reversedAdded)) texts.push(p.src, p.trg);
  const tk = options.tokenizerFrom ? loadTokenizer(options.tokenizerFrom, tasks) : await trainTokenizer(texts, tasks, vocabSize);
  const tTok = Date.now();
  if (options.tokenizerFrom) {
    log(`tokenizer: ${tk.keptVocab} tokens from ${path.join(options.tokenizerFrom, 'tokenizer.json')} (not trained)`);
  } else {
    log(
      `tokenizer: WordPiece, ${tk.keptVocab} tokens (trained ${tk.trainedVocab}, cut to --vocab-size ${vocabSize}) in ${((tTok - tRead) / 1000).toFixed(1)}s`,
    );
  }
  if (!options.tokenizerFrom && tk.keptVocab < vocabSize) {
    log(
      `note: the vocabulary has ${tk.keptVocab} tokens, fewer than --vocab-size ${vocabSize}: ` +
        (tk.trainedVocab >= 30000
          ? "the tokenizers binding's trainer stops at 30000 (it takes no options)"
          : 'the training text has no more merges'),
    );
  }
  const dtype: 'uint16' | 'uint32' = tk.keptVocab <= 65536 ? 'uint16' : 'uint32';

  // Encode (the word list's words are collected as token ids here, assembled into words once the vocabulary is written)
  const trainTexts: (readonly number[])[] = [];
  const { splits, totals, reports, wordsUnencodable } = await encodeDatasets(datasets, tk, { maxSource, maxTarget, budget }, (ids) =>
    trainTexts.push(ids),
  );
  const tEnc = Date.now();

  // Write
  fs.mkdirSync(options.out, { recursive: true });
  writeTokenizerFiles(
    options.out,
    tk,
    options.tokenizerFrom,
    tasks.map((t) => TASK_TOKENS[t]),
    maxSource + maxTarget,
  );
  const bytes: Record<string, number> = {};
  const counts: Record<'train' | 'valid', number> = { train: 0, valid: 0 };
  for (const split of ['train', 'valid'] as const) {
    const w = writeShards(options.out, split, splits[split], dtype);
    bytes[`${split}.tokens.bin`] = w.tokensBytes;
    bytes[`${split}.index.bin`] = w.indexBytes;
    counts[split] = w.tokens;
  }
  bytes['tokenizer.json'] = fs.statSync(path.join(options.out, 'tokenizer.json')).size;
  const words = writeWordList(options.out, trainTexts);
  bytes[WORD_LIST_FILE] = fs.statSync(path.join(options.out, WORD_LIST_FILE)).size;
  log(`word list: ${words} words of the training text → ${WORD_LIST_FILE}`);

  const tasksMeta: PrepareMeta['tasks'] = {};
  for (const t of tasks) tasksMeta[t] = { token: TASK_TOKENS[t], id: tk.taskIds[t]! };
  const meta: PrepareMeta = {
    formatVersion: 1,
    vocabSize: tk.keptVocab,
    tokenDtype: dtype,
    tokens: { pad: tk.specialIds.pad, unk: tk.specialIds.unk, sep: tk.specialIds.sep },
    tasks: tasksMeta,
    lengths: { maxSource, maxTarget, targetBudget: budget },
    splits: {
      train: { examples: splits.train.tokens.length, tokens: counts.train },
      valid: { examples: splits.valid.tokens.length, tokens: counts.valid },
    },
    data: reports.map((r) => ({
      name: r.name,
      task: r.task,
      files: r.files,
      validFiles: r.validFiles,
      pairs: r.pairs,
      validPairs: r.validPairs,
      licence: r.licence,
    })),
    tokenizer: { type: 'WordPiece', lowercase: true, trainedVocab: tk.trainedVocab, keptVocab: tk.keptVocab, wordsUnencodable },
    report: {
      datasets: reports,
      train: finishAcc(totals.train),
      valid: finishAcc(totals.valid),
      seconds: { read: (tRead - t0) / 1000, tokenizer: (tTok - tRead) / 1000, encode: (tEnc - tTok) / 1000, write: 0, total: 0 },
      bytes,
    },
    options: { bothDirections, validFraction, limit: options.limit ?? null },
    createdAt: new Date().toISOString(),
  };
  meta.report.seconds.write = (Date.now() - tEnc) / 1000;
  meta.report.seconds.total = (Date.now() - t0) / 1000;
  fs.writeFileSync(path.join(options.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  for (const l of formatReport(meta)) log(l);
  return { out: options.out, meta };
}

function fmtLen(s: LengthStats): string {
  return `p50 ${s.p50} p90 ${s.p90} p99 ${s.p99} max ${s.max}`;
}

function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatReport(meta: PrepareMeta): string[] {
  const r = meta.report;
  const lines: string[] = [];
  lines.push(
    `prepared: ${meta.splits.train.examples} train / ${meta.splits.valid.examples} valid examples, vocabulary ${meta.vocabSize} (${meta.tokenDtype})`,
  );
  for (const d of r.datasets) {
    lines.push(
      `  ${d.name.padEnd(12)} ${d.task.padEnd(10)} train ${String(d.pairs).padStart(7)}  valid ${String(d.validPairs).padStart(6)}  licence: ${d.licence}`,
    );
    lines.push(
      `    source len ${fmtLen(d.train.sourceLength)} | target len ${fmtLen(d.train.targetLength)} | unk ${(d.train.unknownRate * 100).toFixed(3)}% | truncated src ${d.train.truncatedSources} trg ${d.train.truncatedTargets} | over budget ${d.train.overBudget}`,
    );
  }
  for (const split of ['train', 'valid'] as const) {
    const p = r[split];
    lines.push(
      `  ${split}: ${p.tokens} tokens, unk ${(p.unknownRate * 100).toFixed(3)}%, source len ${fmtLen(p.sourceLength)}, target len ${fmtLen(p.targetLength)}, truncated src ${p.truncatedSources} trg ${p.truncatedTargets}, over budget ${p.overBudget}`,
    );
  }
  lines.push(
    `  files: ${Object.entries(r.bytes)
      .map(([k, v]) => `${k} ${fmtBytes(v)}`)
      .join(', ')}`,
  );
  lines.push(
    `  time: ${r.seconds.total.toFixed(2)}s (read ${r.seconds.read.toFixed(2)}s, tokenizer ${r.seconds.tokenizer.toFixed(2)}s, encode ${r.seconds.encode.toFixed(2)}s, write ${r.seconds.write.toFixed(2)}s)`,
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading prepared folders back (tests, tools)

export interface PreparedExample {
  source: number[];
  target: number[];
}

export function readMeta(dir: string): PrepareMeta {
  return JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as PrepareMeta;
}

/** Reads one split of a prepared folder back into examples. */
export function readSplit(dir: string, split: 'train' | 'valid', meta: PrepareMeta = readMeta(dir)): PreparedExample[] {
  const tb = fs.readFileSync(path.join(dir, `${split}.tokens.bin`));
  const ib = fs.readFileSync(path.join(dir, `${split}.index.bin`));
  const wide = meta.tokenDtype === 'uint32';
  const get = (i: number) => (wide ? tb.readUInt32LE(i * 4) : tb.readUInt16LE(i * 2));
  const out: PreparedExample[] = [];
  for (let r = 0; r < ib.length / 16; r++) {
    const [ss, sl, ts, tl] = [0, 1, 2, 3].map((k) => ib.readInt32LE(r * 16 + k * 4));
    const source: number[] = [];
    const target: number[] = [];
    for (let i = 0; i < sl; i++) source.push(get(ss + i));
    for (let i = 0; i < tl; i++) target.push(get(ts + i));
    out.push({ source, target });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

export const PREPARE_USAGE = `usage: diffuseq prepare --data DIR_OR_FILE… --task paraphrase|simplify [--limit N] [--data … --task …]… --out DIR
       [--vocab-size N] [--max-source N] [--max-target N] [--limit N] [--valid-fraction F] [--both-directions]
       [--tokenizer DIR]   (encode with DIR's tokenizer.json, e.g. models/default, instead of training one)
       [--budget-ratio R] [--budget-extra E]   (target budget min(maxTarget, ceil(R·n)+E), default 1.5 and 6: recorded in
                                                meta.json, used by the trainer when its config has none)
  --data/--task come in pairs; a --limit right after a --data/--task pair applies to that dataset only,
  one before the first --data applies to every dataset (first N pairs of each train and valid file).`;

const PREPARE_OPTIONS = {
  data: { type: 'string', multiple: true },
  task: { type: 'string', multiple: true },
  limit: { type: 'string', multiple: true },
  out: { type: 'string' },
  'vocab-size': { type: 'string' },
  'max-source': { type: 'string' },
  'max-target': { type: 'string' },
  'valid-fraction': { type: 'string' },
  'both-directions': { type: 'boolean' },
  'budget-ratio': { type: 'string' },
  'budget-extra': { type: 'string' },
  tokenizer: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `diffuseq prepare` arguments into PrepareOptions. */
export function parsePrepareArgs(argv: string[]): PrepareOptions {
  const cmd = 'prepare';
  // --data takes every plain argument after it; --data/--task/--limit are read in their order.
  const { values: v, positionals, occurrences } = parseCommandLine(cmd, argv, PREPARE_OPTIONS, ['data']);
  if (positionals.length) throw usageError(cmd, `unexpected argument ${JSON.stringify(positionals[0])} (see diffuseq prepare --help)`);
  const data: DataSpec[] = [];
  let pending: string[] | undefined;
  let globalLimit: number | undefined;
  for (const f of occurrences) {
    if (f.name === 'data') {
      if (pending) throw usageError(cmd, `--data ${pending.join(' ')} has no --task (${TASK_CHOICES})`);
      pending = f.values;
    } else if (f.name === 'task') {
      if (!pending) throw usageError(cmd, '--task must follow a --data');
      const t = f.values[0];
      if (!TASKS.includes(t as TaskName)) throw usageError(cmd, `--task must be ${TASK_CHOICES} (got ${t})`);
      data.push({ paths: pending, task: t as TaskName });
      pending = undefined;
    } else if (f.name === 'limit') {
      const n = intFlag(cmd, 'limit', f.values[0], 1, Number.MAX_SAFE_INTEGER)!;
      if (pending) throw usageError(cmd, '--limit between --data and --task: put it after --task');
      if (data.length) data[data.length - 1].limit = n;
      else globalLimit = n;
    }
  }
  if (pending) throw usageError(cmd, `--data ${pending.join(' ')} has no --task (${TASK_CHOICES})`);
  const out = stringFlag(cmd, 'out', v.out);
  if (!out) throw usageError(cmd, '--out DIR is required');
  return {
    data,
    out,
    vocabSize: intFlag(cmd, 'vocab-size', v['vocab-size'], 16, 1 << 20),
    maxSource: intFlag(cmd, 'max-source', v['max-source'], 3, 4096),
    maxTarget: intFlag(cmd, 'max-target', v['max-target'], 2, 4096),
    limit: globalLimit,
    validFraction: numberFlag(cmd, 'valid-fraction', v['valid-fraction'], 0, 0.99),
    bothDirections: v['both-directions'] === true,
    tokenizerFrom: stringFlag(cmd, 'tokenizer', v.tokenizer),
    budget: {
      ratio: numberFlag(cmd, 'budget-ratio', v['budget-ratio'], 0.1, 10) ?? DEFAULT_TARGET_BUDGET.ratio,
      extra: intFlag(cmd, 'budget-extra', v['budget-extra'], 0, 64) ?? DEFAULT_TARGET_BUDGET.extra,
    },
  };
}

/** `diffuseq prepare …`; returns the exit code. */
export async function prepareMain(argv: string[], io: CommandIo = processIo(), signal?: AbortSignal): Promise<number> {
  return reportingErrors(io, async () => {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(PREPARE_USAGE + '\n');
      return 0;
    }
    const opts = parsePrepareArgs(argv);
    signal?.throwIfAborted();
    await prepare({ ...opts, log: (l) => io.stdout.write(l + '\n') });
    return 0;
  });
}

if (require.main === module) runAsProcess(prepareMain);
