/**
 * Exact detokenisation of what the model copies. The uncased WordPiece tokenizer forgets how a word was written
 * (case, accents: `Zürich` → `zurich`) and where the spaces were (`12.5%` → `12 . 5 %`). Here the source is cut into
 * the tokenizer's own words with their character offsets, and every output word whose word pieces equal a source
 * word's comes back as the user wrote it; two output words that are neighbours in the source too come back with
 * the source's own spacing between them. Placeholders of protected spans (protect.ts) are source words whose
 * written form is the span, so restoring them is the same step. Pure functions: the tokenizer is passed in.
 */
/** One word of the source as the tokenizer splits it. */
export interface SourceWord {
  /** Its word-piece ids (a placeholder: the one placeholder id). */
  ids: number[];
  /** Exactly as written in the source (a placeholder: the protected span's text). */
  form: string;
  /** What stood between the previous word and this one in the source ('' when they touch). */
  gap: string;
  /** The protected span this word stands for, if it is a placeholder. */
  span?: number;
  /** First word of a sentence in the source (its capital says nothing about the word). */
  sentenceInitial: boolean;
}

/** Characters BERT's pre-tokenizer makes words of their own: ASCII symbols, Unicode punctuation, CJK ideographs;
 * and the private-use markers of protected spans (protect.ts). */
const ALONE =
  '!-\\/:-@\\[-`{-~\\p{P}\\uE000-\\uF8FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF' +
  '\\u{20000}-\\u{2A6DF}\\u{2A700}-\\u{2B73F}\\u{2B740}-\\u{2B81F}\\u{2B820}-\\u{2CEAF}\\u{2F800}-\\u{2FA1F}';
const PRE_TOKEN = new RegExp(`[${ALONE}]|[^\\s${ALONE}]+`, 'gu');

/**
 * The words of `text` as BERT's pre-tokenizer cuts them (at whitespace; every punctuation mark and CJK character a
 * word of its own), as [start, end) offsets. WordPiece never crosses these cuts, so encoding each word alone gives
 * the ids of encoding the text.
 */
export function preTokenize(text: string): [number, number][] {
  return [...text.matchAll(PRE_TOKEN)].map((m) => [m.index, m.index + m[0].length]);
}

const SENTENCE_END = /[.!?]["'”’)\]]*$/u;

/**
 * The source words of `text` (already masked: a private-use character U+E000 + k is placeholder k, written as
 * `spans[k]` and encoded as `placeholderIds[k]`). `encodeWord` gives a word's ids; a word it gives none for (a
 * character the tokenizer drops) stays part of the next word's gap, so exact copies keep it.
 */
export function sourceWords(
  text: string,
  encodeWord: (word: string) => number[],
  spans: readonly string[] = [],
  placeholderIds: readonly number[] = [],
): SourceWord[] {
  const words: SourceWord[] = [];
  let prevEnd = 0;
  let prevForm = '';
  for (const [s, e] of preTokenize(text)) {
    const piece = text.slice(s, e);
    const k = piece.length === 1 ? piece.charCodeAt(0) - 0xe000 : -1;
    const isSpan = k >= 0 && k < spans.length;
    const ids = isSpan ? [placeholderIds[k]] : encodeWord(piece);
    if (ids.length === 0) {
      continue;
    }
    words.push({
      ids,
      form: isSpan ? spans[k] : piece,
      gap: text.slice(prevEnd, s),
      ...(isSpan ? { span: k } : {}),
      sentenceInitial: words.length === 0 || SENTENCE_END.test(prevForm),
    });
    prevEnd = e;
    prevForm = isSpan ? '' : piece;
  }
  return words;
}

/** What renderCandidate needs of the tokenizer and the spans. */
export interface RenderContext {
  /** Decodes model-written word pieces into text (special tokens dropped, pieces joined). */
  decode(ids: readonly number[]): string;
  /** Whether `id` continues the previous word (a `##` piece). */
  isContinuation(id: number): boolean;
  /** The span index whose placeholder `id` is, or -1. */
  spanOf(id: number): number;
  /** The kind of each span, by index (a link's text between `link-open` and `link-target` must not vanish). */
  kinds: readonly string[];
  unkId: number;
}

export type Rendered = { text: string } | { dropped: string };

/** Closing punctuation takes no space before it, opening brackets none after them (as cleanDecoded does). */
const CLOSES = /^[.,!?;:%)\]}'’”]/u;
const OPENS = /[([{“]$/u;

interface Item {
  text: string;
  /** Index of the source word it was copied from, or -1 (written by the model). */
  src: number;
  span: boolean;
}

/**
 * The text of one candidate from its target ids: protected spans checked and put back, copied words restored as
 * the user wrote them, the rest decoded. Spans must come out once each and in order: a placeholder that repeats
 * one already placed, or comes out of order, is removed; a span that is missing, or a link whose text vanished,
 * leaves nothing to repair and the candidate is dropped (`{dropped: reason}`).
 */
export function renderCandidate(ids: readonly number[], words: readonly SourceWord[], ctx: RenderContext): Rendered {
  // Output words: a piece that does not continue the previous one starts a new word. A placeholder is a word of its
  // own, and pieces the model continued it with are dropped (they would be glued to the span).
  const groups: number[][] = [];
  let afterSpan = false;
  for (const id of ids) {
    const continues = ctx.isContinuation(id);
    if (continues && afterSpan) {
      continue;
    }
    afterSpan = ctx.spanOf(id) >= 0;
    if (groups.length > 0 && continues && !afterSpan) {
      groups[groups.length - 1].push(id);
    } else {
      groups.push([id]);
    }
  }
  // Spans: keep the first placeholder of the span that comes next, drop repeats and strays.
  const spanCount = words.filter((w) => w.span !== undefined).length;
  let next = 0;
  const kept: { g: number[]; span: number }[] = [];
  for (const g of groups) {
    const k = g.length === 1 ? ctx.spanOf(g[0]) : -1;
    if (k < 0) {
      kept.push({ g, span: -1 });
    } else if (k === next) {
      kept.push({ g, span: k });
      next++;
    }
  }
  if (next < spanCount) {
    return { dropped: `protected span ${next + 1} of ${spanCount} is missing or out of order` };
  }
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i].span;
    if (k >= 0 && ctx.kinds[k] === 'link-open' && ctx.kinds[k + 1] === 'link-target' && kept[i + 1]?.span === k + 1) {
      return { dropped: 'a link lost its text' };
    }
  }

  // Copied words: the source word with the same pieces, preferring the one right after the previous copy.
  const bySpan = new Map<number, number>();
  words.forEach((w, j) => w.span !== undefined && bySpan.set(w.span, j));
  const key = (g: readonly number[]): string => g.join(',');
  const occurrences = new Map<string, number[]>();
  words.forEach((w, j) => {
    if (w.span === undefined) {
      const list = occurrences.get(key(w.ids)) ?? [];
      list.push(j);
      occurrences.set(key(w.ids), list);
    }
  });
  const items: Item[] = [];
  let prev = -2;
  let run: number[] = [];
  const flush = (): void => {
    if (run.length > 0) {
      const text = ctx.decode(run);
      if (text) items.push({ text, src: -1, span: false });
      run = [];
    }
  };
  for (const { g, span } of kept) {
    let j = -1;
    if (span >= 0) {
      j = bySpan.get(span) ?? -1;
    } else {
      const occ = occurrences.get(key(g)) ?? [];
      const unknown = g.length === 1 && g[0] === ctx.unkId;
      if (occ.includes(prev + 1)) {
        j = prev + 1;
      } else if (occ.length > 0 && (!unknown || occ.length === 1)) {
        // An [UNK] stands for several different words; only a lone one can be told apart.
        j = occ.find((o) => o > prev) ?? occ[0];
      }
    }
    if (j < 0) {
      run.push(...g);
      prev = -2;
      continue;
    }
    flush();
    items.push({ text: words[j].form, src: j, span: span >= 0 });
    prev = j;
  }
  flush();
  return { text: joinItems(items, words) };
}

/** Joins the pieces: source neighbours with the source's own gap, the rest with one space unless punctuation says not. */
function joinItems(items: Item[], words: readonly SourceWord[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    let text = it.text;
    const atSentenceStart = i === 0 || SENTENCE_END.test(out);
    if (it.src >= 0 && !it.span) {
      text = caseFor(it.src, words, atSentenceStart);
    } else if (it.src < 0) {
      // Words the model wrote: a lone "i" is "I".
      text = text.replace(/(^|[^\p{L}'])i(?=$|[^\p{L}]|')/gu, '$1I');
    }
    if (i > 0) {
      const a = items[i - 1];
      if (a.src >= 0 && it.src === a.src + 1) {
        out += words[it.src].gap;
      } else if (!CLOSES.test(text) && !OPENS.test(out)) {
        out += ' ';
      }
    }
    out += text;
  }
  // The first letter follows the source's, unless the text starts with a protected span.
  const first = words.find((w) => /\p{L}/u.test(w.form));
  if (items.length > 0 && !items[0].span && first && first.span === undefined) {
    const f = first.form.match(/\p{L}/u)![0];
    if (f !== f.toLowerCase()) {
      out = out.replace(/\p{L}/u, (c) => c.toUpperCase());
    }
  }
  return out;
}

/**
 * A copied word as the user wrote it, except a sentence-initial capital (`The`) moved inside a sentence, which is
 * lowered unless the source also writes the word with that capital inside a sentence.
 */
function caseFor(j: number, words: readonly SourceWord[], atSentenceStart: boolean): string {
  const w = words[j];
  const f = w.form;
  const titleOnly = /^\p{Lu}/u.test(f) && !/\p{Lu}/u.test(f.slice(1));
  if (!w.sentenceInitial || !titleOnly) {
    return f;
  }
  if (atSentenceStart) {
    return f;
  }
  const capitalElsewhere = words.some((o) => !o.sentenceInitial && o.form === f);
  return capitalElsewhere ? f : f.replace(/^\p{Lu}/u, (c) => c.toLowerCase());
}
