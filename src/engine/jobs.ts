/**
 * A text as sampling jobs, and a job's rounded ids as text again. `prepareText` masks the protected spans, splits the
 * text into segments that fit the model, and makes each a Job: its source ids, target budget, sequence length L,
 * the spans' placeholders and anchors, and its own random stream. `renderRow` is the way back (copyRestore.ts).
 */
import { RewriteInputError } from './errors';
import type { TargetAnchor } from './batch';
import { renderCandidate, sourceWords, type SourceWord } from './copyRestore';
import type { ModelManifest } from './manifest';
import type { ResolvedOptions } from './options';
import { anchorsOf, localMask, mask, onlyProtected, unmask, type SpanKind } from './protect';
import { Rng } from './rng';
import { splitSegments, type Segment } from './segment';
import { shortenForMessage, stripControlChars, targetBudget } from './text';
import { unknownWordsWarning, type EngineTokenizer } from './tokenizer';
import { wordsOf, type PieceTable } from './wordList';

/** One piece of source text to rewrite: N candidates sampled together. */
export interface Job {
  /** The clean text of the segment (what `plan` shows). */
  text: string;
  /** Set when the segment has nothing to rewrite (only protected spans and punctuation): every candidate is this. */
  verbatim?: string;
  /** [TASK] ids [SEP]. */
  source: number[];
  /** The source's words as written, with the spans' placeholders (copyRestore.ts). */
  words: SourceWord[];
  /** The kind of each of the segment's protected spans. */
  kinds: SpanKind[];
  /** Where each span's placeholder is held in the target. */
  anchors: TargetAnchor[];
  budget: number;
  L: number;
  rng: Rng;
  /** The words of the source (wordList.wordsOf, placeholders included): words the output may use beyond the word list. */
  sourceWords: string[];
  /** One text per candidate once its batch has run; null where the candidate lost a protected span. */
  outputs: (string | null)[];
  /** Per candidate: invented words replaced and repeats collapsed, once its batch has run. */
  fixes: { replaced: number; collapsed: number }[];
}

/** A text ready to sample: its segments, one job each, and the warnings of reading it. */
export interface Prepared {
  /** The text as given. */
  original: string;
  segments: Segment[];
  jobs: Job[];
  warnings: string[];
}

/** What preparing a text reads of the model. */
export interface TextModel {
  manifest: Pick<ModelManifest, 'lengths' | 'tokens'>;
  tokenizer: EngineTokenizer;
  /** Each token id's piece, for assembling words. */
  pieceTable: PieceTable;
}

/** Splits, encodes and plans one text. Jobs are seeded by segment only, so results do not depend on batching. */
export function prepareText(text: string, o: Pick<ResolvedOptions, 'seed' | 'taskId'>, model: TextModel): Prepared {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new RewriteInputError('nothing to rewrite: the text is empty');
  }
  const { manifest: m, tokenizer } = model;
  const maxTokens = m.lengths.maxSource - 2;
  // Protected spans become one marker character each before anything else looks at the text (protect.ts).
  const masked = mask(text);
  const markers = (s: string): number => (s.match(/[\uE000-\uF8FF]/gu) ?? []).length;
  const segments = splitSegments(masked.text, maxTokens, (s) => tokenizer.count(s) + markers(s));
  const warnings: string[] = [];
  const unknown: string[] = [];
  let truncated = 0;
  const root = new Rng(o.seed);
  let controls = 0;
  const wordIds = new Map<string, number[]>();
  const jobs: Job[] = segments.map((seg, s) => {
    const clean = stripControlChars(seg.text);
    controls += clean.removed;
    const job = {
      source: [],
      words: [],
      kinds: [],
      anchors: [],
      budget: 0,
      L: 0,
      rng: root.child(s),
      outputs: [],
      sourceWords: [],
      fixes: [],
    };
    if (onlyProtected(clean.text)) {
      return { ...job, text: unmask(clean.text, masked.spans), verbatim: unmask(seg.text, masked.spans) };
    }
    const local = localMask(clean.text, masked);
    unknown.push(...tokenizer.encode(local.text).unknownWords);
    let words = sourceWordsOf(tokenizer, local.text, local.spans, wordIds);
    let ids = words.flatMap((w) => w.ids);
    if (ids.length > maxTokens) {
      truncated++;
      let n = 0;
      words = words.filter((w) => (n += w.ids.length) <= maxTokens);
      ids = ids.slice(0, maxTokens);
    }
    const kinds = local.kinds.slice(0, words.filter((w) => w.span !== undefined).length);
    const budget = targetBudget(ids.length, m.lengths.maxTarget, m.lengths.targetBudget);
    const source = [o.taskId, ...ids, m.tokens.sep];
    const anchors = anchorsOf(words, budget);
    // The allowed words come from the ids, placeholders included, so the word constraint keeps the spans' tokens.
    const sourceWords = wordsOf(ids, model.pieceTable);
    return {
      ...job,
      text: unmask(clean.text, masked.spans),
      source,
      words,
      kinds,
      anchors,
      budget,
      L: source.length + budget,
      sourceWords,
    };
  });
  // Nothing the model knows (all CJK, one 1 MB "word"): it would invent text from [UNK] alone. Refused.
  // (Segments of protected spans only are passed through, not read: they do not count.)
  const read = jobs.filter((j) => j.verbatim === undefined);
  if (unknown.length > 0 && read.length > 0 && read.every((j) => j.source.slice(1, -1).every((id) => id === tokenizer.unkId))) {
    const shown = [...new Set(unknown)].slice(0, 3).map((w) => JSON.stringify(shortenForMessage(w)));
    throw new RewriteInputError(
      `the model cannot read this text: none of its words is in the model's vocabulary (${shown.join(', ')}), so nothing was rewritten`,
    );
  }
  if (controls > 0) {
    warnings.push(
      `${controls} control character${controls === 1 ? ' was' : 's were'} removed from the input (NUL, escape codes and the like)`,
    );
  }
  const w = unknownWordsWarning(unknown);
  if (w) {
    warnings.push(w);
  }
  if (truncated > 0) {
    warnings.push(
      `${truncated} piece${truncated === 1 ? '' : 's'} of text had no break within the model's ${maxTokens}-token ` +
        'limit and were cut at that limit',
    );
  }
  return { original: text, segments, jobs, warnings };
}

/**
 * The source words of a segment (masked: marker k is span k) with a placeholder token for each span: distinct
 * tokens of the tokenizer's placeholder pool that the segment's own words do not use.
 */
function sourceWordsOf(tokenizer: EngineTokenizer, text: string, spans: readonly string[], cache: Map<string, number[]>): SourceWord[] {
  // Words repeat (the, a, punctuation): one tokenizer call per distinct word of the text.
  const encode = (w: string): number[] => {
    let ids = cache.get(w);
    if (!ids) {
      ids = tokenizer.encodeIds(w);
      cache.set(w, ids);
    }
    return ids;
  };
  const words = sourceWords(text, encode, spans, new Array<number>(spans.length).fill(-1));
  const used = new Set(words.flatMap((w) => (w.span === undefined ? w.ids : [])));
  const pool = tokenizer.placeholderPool.filter((id) => !used.has(id));
  for (const w of words) {
    if (w.span !== undefined) {
      // More spans than placeholders cannot happen below 128 spans per segment (a segment has at most 62 tokens).
      w.ids = [pool[w.span % pool.length]];
    }
  }
  return words;
}

/** One candidate's text from its target ids, or null when it lost a protected span beyond repair. */
export function renderRow(ids: readonly number[], job: Job, tokenizer: EngineTokenizer): string | null {
  const spanIds = new Map(job.words.filter((w) => w.span !== undefined).map((w) => [w.ids[0], w.span!]));
  const r = renderCandidate(ids, job.words, {
    decode: (x) => tokenizer.decode(x),
    isContinuation: (id) => tokenizer.isContinuation(id),
    spanOf: (id) => spanIds.get(id) ?? -1,
    kinds: job.kinds,
    unkId: tokenizer.unkId,
  });
  return 'text' in r ? r.text : null;
}
