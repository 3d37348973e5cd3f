/**
 * `prepare()`: reads paraphrase/simplification pair files, trains an uncased WordPiece tokenizer on the training
 * text (or reuses a folder's), and writes the token shards and meta.json of docs/data-format.md. This module
 * composes the steps of src/trainer/prepare/ (read, tokenizer, encode, shards, report) and is their public face;
 * the `diffuseq prepare` command line is src/cli/prepare.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TARGET_BUDGET, targetBudget, TASKS, WORD_LIST_FILE } from '../engine';
import { UserError } from '../common/commandLine';
import type { PrepareMeta } from './prepare/meta';
import { type DataSpec, type LoadedDataset, loadDataset } from './prepare/read';
import { finishAcc, formatReport } from './prepare/report';
import { writeShards } from './prepare/shards';
import { TASK_TOKENS, loadTokenizer, trainTokenizer, writeTokenizerFiles, writeWordList } from './prepare/tokenizer';
import { encodeDatasets } from './prepare/encode';

export type { DataSpec, Pair } from './prepare/read';
export { LICENCES, UNKNOWN_LICENCE, datasetName, readPairs } from './prepare/read';
export type { TaskName, TrainedTokenizer } from './prepare/tokenizer';
export { SPECIAL_TOKENS, TASK_TOKENS, loadTokenizer, tokenizerConfig, trainTokenizer, writeWordList } from './prepare/tokenizer';
export type { DatasetReport, LengthStats, PartReport, PrepareMeta } from './prepare/meta';
export { formatReport } from './prepare/report';
export { type PreparedExample, readMeta, readSplit } from './prepare/shards';
/** The engine's rule is the one rule (src/engine/text.ts); re-exported for prepare's callers. */
export { targetBudget };

/** How the tasks are named in messages: `paraphrase or simplify`. */
export const TASK_CHOICES = TASKS.join(' or ');

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

export interface PrepareResult {
  out: string;
  meta: PrepareMeta;
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
