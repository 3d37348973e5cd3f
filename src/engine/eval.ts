/**
 * Evaluation of a model over a .jsonl file of {"src","trg"} or {"src","refs":[…]} lines: quality with and without
 * MBR (without = the first candidate, i.e. one sample), diversity of the candidate sets, speed, compression and the
 * share of outputs identical to their input. Sources whose sequence length L is equal are rewritten in one batch.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { EvalDataError, throwIfAborted } from './errors';
import { diffuseqBleu, sentenceBleuText } from './metrics/bleu';
import { dist1 } from './metrics/diversity';
import { rougeL } from './metrics/rouge';
import { corpusSari, sentenceSari } from './metrics/sari';
import type { RewriteEngine } from './pipeline';
import { normalizeForCompare } from './text';
import type { ConstraintCounts, NoiseInit, RewriteResult, SamplerName, SamplingChoices, SolverVariant, StageTimings, Task } from './types';

export interface EvalExample {
  src: string;
  refs: string[];
  /** 1-based line number in the data file. */
  line: number;
}

/** Reads a .jsonl evaluation file. Throws EvalDataError naming the file and line for anything malformed. */
export function readEvalData(file: string, limit?: number): EvalExample[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (e as Error).message;
    throw new EvalDataError(`cannot read ${file}: ${why}`);
  }
  const out: EvalExample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (limit !== undefined && out.length >= limit) {
      break;
    }
    const raw = lines[i].trim();
    if (raw === '') {
      continue;
    }
    const where = `${file}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new EvalDataError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new EvalDataError(`${where}: expected an object {"src": …, "trg": …} or {"src": …, "refs": […]}`);
    }
    const o = obj as Record<string, unknown>;
    if (typeof o.src !== 'string' || o.src.trim() === '') {
      throw new EvalDataError(`${where}: "src" must be a non-empty string`);
    }
    let refs: string[];
    if (Array.isArray(o.refs)) {
      if (o.refs.length === 0 || !o.refs.every((r) => typeof r === 'string')) {
        throw new EvalDataError(`${where}: "refs" must be a non-empty list of strings`);
      }
      refs = o.refs as string[];
    } else if (typeof o.trg === 'string') {
      refs = [o.trg];
    } else {
      throw new EvalDataError(`${where}: needs "trg" (a string) or "refs" (a list of strings)`);
    }
    out.push({ src: o.src, refs, line: i + 1 });
  }
  if (out.length === 0) {
    throw new EvalDataError(`${file} has no examples`);
  }
  return out;
}

export interface EvalOptions extends SamplingChoices {
  /** Default 0, so that runs are comparable. */
  seed?: number;
  /** Sources per rewriteBatch call (default 16); sources are sorted by L first so that batches share it. */
  batchSources?: number;
  /** Keep every candidate in the report (default: only the MBR and first choices). */
  keepCandidates?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface QualityScores {
  /**
   * Mean sentence BLEU-4 (NLTK, smoothing method 4, lower-cased whitespace tokens). One reference: DiffuSeq's
   * eval order (`sentence_bleu([output], reference)`), comparable with its tables; several: `sentence_bleu(refs, output)`.
   */
  bleu: number;
  /**
   * Mean sentence BLEU-4 the textbook way round, the output scored against its reference(s):
   * `sentence_bleu(refs, output)`. Equal to `bleu` with several references; with one it differs from DiffuSeq's
   * order only through the brevity penalty and smoothing, so both are reported.
   */
  bleuHypRef: number;
  /** Mean sentence BLEU of the output against its own source (DiffuSeq's order): how much it copies. */
  bleuToSource: number;
  /**
   * iBLEU (Sun & Zhou 2012), the usual paraphrase measure: 0.8·BLEU(output, refs) − 0.2·BLEU(output, source),
   * with `bleu` and `bleuToSource`. Copying the input is no longer free.
   */
  ibleu: number;
  /** Mean ROUGE-L F1 (best reference). */
  rougeL: number;
  /** Mean per-sentence distinct-unigram ratio of the outputs. */
  dist1: number;
  /** Corpus SARI (EASSE), simplification only. */
  sari?: number;
  /** Mean characters(output) / characters(source). */
  compressionRatio: number;
  /** Share of outputs equal to their source (case and whitespace ignored). */
  identicalToInput: number;
  /** Mean output length in whitespace words. */
  meanWords: number;
}

export interface EvalExampleResult {
  line: number;
  src: string;
  refs: string[];
  mbr: string;
  first: string;
  candidates?: string[];
}

export interface EvalReport {
  model: { name: string; dir: string };
  data: string;
  task: Task;
  examples: number;
  options: {
    candidates: number;
    steps: number;
    order: number;
    sampler: SamplerName;
    noiseInit: NoiseInit;
    solverVariant: SolverVariant;
    seed: number;
    constrain: boolean;
  };
  executionProvider: string;
  /** The MBR choice of each candidate set. */
  mbr: QualityScores;
  /** The first candidate (one sample, no MBR). */
  single: QualityScores;
  /** The baseline that returns every input unchanged, scored the same way. */
  copy: QualityScores;
  /** Mean over sources of the diversity of their candidate set. */
  diversity: { selfBleu: number; div4: number; dist1: number };
  /**
   * The oracle of N: the mean BLEU (as `bleu`) of the best candidate of each set chosen with the reference in hand —
   * the ceiling of any choice among these candidates.
   */
  oracle: { bleu: number };
  /** What the user reads: shares of outputs with an invented or a repeated word (wordShares). */
  words: WordShares;
  /** What the output constraints changed, summed over the examples. */
  constraints: ConstraintCounts;
  timing: {
    wallSeconds: number;
    /** Wall time / examples, batching included. */
    msPerSentence: number;
    /** Mean stage milliseconds per sentence. */
    stages: StageTimings;
  };
  warnings: string[];
  results: EvalExampleResult[];
}

/** Rewrites every example and scores the outputs. */
export async function evaluate(
  engine: RewriteEngine,
  examples: readonly EvalExample[],
  dataName: string,
  opts: EvalOptions,
): Promise<EvalReport> {
  const resolved = engine.resolveOptions({
    task: opts.task,
    candidates: opts.candidates,
    steps: opts.steps,
    order: opts.order,
    sampler: opts.sampler,
    noiseInit: opts.noiseInit,
    solverVariant: opts.solverVariant,
    seed: opts.seed ?? 0,
    constrain: opts.constrain,
  });
  // The resolved choices, as every batch is sampled with them and as the report records them.
  const { task, taskId: _taskId, ...options } = resolved;
  // Sort by sequence length so that each rewriteBatch call can share L between its sources.
  const order = examples
    .map((ex, i) => ({ i, L: Math.max(...engine.plan(ex.src, task).map((p) => p.L)) }))
    .sort((a, b) => a.L - b.L || a.i - b.i)
    .map((x) => x.i);
  const per = Math.max(1, opts.batchSources ?? 16);
  const results: RewriteResult[] = new Array(examples.length);
  const t0 = performance.now();
  let done = 0;
  for (let b = 0; b < order.length; b += per) {
    throwIfAborted(opts.signal);
    const idx = order.slice(b, b + per);
    const rs = await engine.rewriteBatch(
      idx.map((i) => examples[i].src),
      { task, ...options, signal: opts.signal },
    );
    idx.forEach((i, k) => (results[i] = rs[k]));
    done += idx.length;
    opts.onProgress?.(done, examples.length);
  }
  const wall = (performance.now() - t0) / 1000;

  const srcs = examples.map((e) => e.src);
  const refs = examples.map((e) => e.refs);
  const mbrOut = results.map((r) => r.candidates[r.mbrIndex].text.trim());
  const firstOut = results.map((r) => r.candidates[0].text.trim());
  const simplify = task === 'simplify';
  const stages: StageTimings = { tokenize: 0, network: 0, solver: 0, rounding: 0, mbr: 0, total: 0 };
  for (const r of results) {
    for (const k of Object.keys(stages) as (keyof StageTimings)[]) {
      stages[k] += r.timings[k] / results.length;
    }
  }
  const warnings = [...new Set(results.flatMap((r) => r.warnings))];
  const constraints: ConstraintCounts = { inventedWordsReplaced: 0, repeatsCollapsed: 0, candidatesChanged: 0 };
  for (const r of results) {
    for (const k of Object.keys(constraints) as (keyof ConstraintCounts)[]) constraints[k] += r.constraints?.[k] ?? 0;
  }
  const allOut = results.map((r) => r.candidates.map((c) => c.text.trim()));
  let oracle = 0;
  for (let i = 0; i < results.length; i++) {
    oracle += Math.max(...allOut[i].map((c) => sentenceScore(c, refs[i]))) / results.length;
  }
  // Each result already holds its candidate set's diversity (RewriteResult.diversity): average it.
  let selfB = 0;
  let d4 = 0;
  let d1 = 0;
  for (const r of results) {
    selfB += r.diversity.selfBleu / results.length;
    d4 += r.diversity.div4 / results.length;
    d1 += r.diversity.dist1 / results.length;
  }
  return {
    model: { name: engine.manifest.name, dir: engine.modelDir },
    data: dataName,
    task,
    examples: examples.length,
    options,
    executionProvider: engine.executionProvider,
    mbr: quality(srcs, mbrOut, refs, simplify),
    single: quality(srcs, firstOut, refs, simplify),
    copy: quality(srcs, srcs, refs, simplify),
    diversity: { selfBleu: selfB, div4: d4, dist1: d1 },
    oracle: { bleu: oracle },
    words: wordShares(engine, srcs, mbrOut, allOut),
    constraints,
    timing: { wallSeconds: wall, msPerSentence: (wall * 1000) / examples.length, stages },
    warnings,
    results: examples.map((e, i) => ({
      line: e.line,
      src: e.src,
      refs: e.refs,
      mbr: mbrOut[i],
      first: firstOut[i],
      ...(opts.keepCandidates ? { candidates: results[i].candidates.map((c) => c.text) } : {}),
    })),
  };
}

export interface WordShares {
  /**
   * Share of MBR choices / of all candidates with a word that is neither in the package's word list nor in the
   * input; null for a package without a word list (nothing to tell an invented word by).
   */
  inventedMbr: number | null;
  inventedCandidates: number | null;
  /** Share of MBR choices / of all candidates that write a word twice in a row where the input does not. */
  repeatedMbr: number;
  repeatedCandidates: number;
}

/** The invented-word and repeated-word shares of the MBR choices and of every candidate. */
export function wordShares(
  engine: Pick<RewriteEngine, 'inventedWords' | 'repeatsWord'>,
  srcs: readonly string[],
  mbr: readonly string[],
  candidates: readonly (readonly string[])[],
): WordShares {
  const invented = (t: string, s: string) => (engine.inventedWords(t, s)?.length ?? 0) > 0;
  const share = (test: (t: string, s: string) => boolean, outs: readonly (readonly string[])[]) => {
    let hit = 0;
    let all = 0;
    outs.forEach((set, i) => {
      for (const t of set) {
        all++;
        if (test(t, srcs[i])) hit++;
      }
    });
    return all ? hit / all : 0;
  };
  const hasList = srcs.length > 0 && engine.inventedWords('', srcs[0]) !== undefined;
  const mbrSets = mbr.map((t) => [t]);
  return {
    inventedMbr: hasList ? share(invented, mbrSets) : null,
    inventedCandidates: hasList ? share(invented, candidates) : null,
    repeatedMbr: share((t, s) => engine.repeatsWord(t, s), mbrSets),
    repeatedCandidates: share((t, s) => engine.repeatsWord(t, s), candidates),
  };
}

/** One output's BLEU as `QualityScores.bleu` scores it (DiffuSeq's order with one reference). */
function sentenceScore(out: string, refs: readonly string[]): number {
  return refs.length === 1 ? diffuseqBleu(out, refs[0]) : sentenceBleuText(out, refs);
}

/** iBLEU's weight on the reference BLEU (0.8 is the value in the paraphrase literature). */
export const IBLEU_ALPHA = 0.8;

/** Quality scores of one system output per source. */
export function quality(srcs: readonly string[], outs: readonly string[], refs: readonly string[][], withSari: boolean): QualityScores {
  const n = outs.length;
  let bleu = 0;
  let bleuHypRef = 0;
  let toSource = 0;
  let rouge = 0;
  let d1 = 0;
  let comp = 0;
  let same = 0;
  let words = 0;
  for (let i = 0; i < n; i++) {
    const out = outs[i];
    const hypRef = sentenceBleuText(out, refs[i]);
    bleu += (refs[i].length === 1 ? diffuseqBleu(out, refs[i][0]) : hypRef) / n;
    bleuHypRef += hypRef / n;
    toSource += diffuseqBleu(out, srcs[i]) / n;
    rouge += rougeL(out, refs[i]).fmeasure / n;
    d1 += dist1(out) / n;
    comp += out.length / Math.max(1, srcs[i].trim().length) / n;
    same += normalizeForCompare(out) === normalizeForCompare(srcs[i]) ? 1 / n : 0;
    words += out.split(/\s+/).filter(Boolean).length / n;
  }
  const ibleu = IBLEU_ALPHA * bleu - (1 - IBLEU_ALPHA) * toSource;
  const q: QualityScores = {
    bleu,
    bleuHypRef,
    bleuToSource: toSource,
    ibleu,
    rougeL: rouge,
    dist1: d1,
    compressionRatio: comp,
    identicalToInput: same,
    meanWords: words,
  };
  if (withSari) {
    const k = refs[0].length;
    if (refs.every((r) => r.length === k)) {
      // EASSE wants the references as k parallel lists.
      const sets = Array.from({ length: k }, (_, j) => refs.map((r) => r[j]));
      q.sari = corpusSari(srcs, outs, sets);
    } else {
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += sentenceSari(srcs[i], outs[i], refs[i]) / n;
      }
      q.sari = s;
    }
  }
  return q;
}
