/**
 * Splitting a selection into pieces the model can take, and joining rewritten pieces back with the original
 * whitespace. Pure functions: the caller passes `measure(text)` = number of word-piece tokens of `text`.
 *
 * Invariant: `segments.map(s => s.lead + s.text + s.trail).join('') === original` for every split.
 */

export interface Segment {
  /** Whitespace before the text (only the first segment has any: between segments it is the previous trail). */
  lead: string;
  /** The text to rewrite: never empty, never starts or ends with whitespace. */
  text: string;
  /** Whitespace after the text, up to the next segment (line breaks included, exactly as in the input). */
  trail: string;
}

export type Measure = (text: string) => number;

/** Abbreviations after which Intl.Segmenter's sentence break is not a real sentence end. */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'sr',
  'jr',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'no',
  'fig',
  'inc',
  'ltd',
  'co',
  'corp',
  'mt',
  'ft',
  'approx',
  'dept',
  'est',
  'gen',
  'gov',
  'lt',
  'col',
  'sgt',
  'capt',
  'rev',
  'u.s',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
]);

/** Splits `s` into [leading whitespace, core, trailing whitespace]. */
export function splitWhitespace(s: string): [string, string, string] {
  const lead = /^\s*/.exec(s)![0];
  if (lead.length === s.length) {
    return [s, '', ''];
  }
  const trail = /\s*$/.exec(s)![0];
  return [lead, s.slice(lead.length, s.length - trail.length), trail];
}

/** Pieces of `core` (no leading/trailing whitespace) cut after each match of `cut`, with the whitespace kept. */
function cutPieces(core: string, cut: RegExp): string[] {
  const pieces: string[] = [];
  let start = 0;
  cut.lastIndex = 0;
  for (let m = cut.exec(core); m !== null; m = cut.exec(core)) {
    const end = m.index + m[0].length;
    if (end > start && end < core.length) {
      pieces.push(core.slice(start, end));
      start = end;
    }
    if (m[0].length === 0) {
      cut.lastIndex++;
    }
  }
  pieces.push(core.slice(start));
  return pieces.filter((p) => p.length > 0);
}

/** Sentences of a single line (Intl.Segmenter, with common abbreviations merged back). Pieces keep their whitespace. */
export function sentencePieces(core: string): string[] {
  const seg = new Intl.Segmenter('en', { granularity: 'sentence' });
  const out: string[] = [];
  for (const { segment } of seg.segment(core)) {
    const prev = out.length > 0 ? out[out.length - 1] : undefined;
    if (prev !== undefined) {
      const lastWord = /([A-Za-z.]+)\.\s*$/.exec(prev);
      const startsLower = /^\s*[a-z0-9]/.test(segment);
      if ((lastWord && ABBREVIATIONS.has(lastWord[1].toLowerCase())) || startsLower || /^\s*$/.test(prev)) {
        out[out.length - 1] = prev + segment;
        continue;
      }
    }
    out.push(segment);
  }
  return out;
}

/** Clause pieces: cut after , ; : and around dashes (each piece keeps the whitespace that follows it). */
export function clausePieces(core: string): string[] {
  return cutPieces(core, /[,;:]\s+|\s+[—–-]+\s+|—/g);
}

/** Word pieces: each word with the whitespace that follows it. */
export function wordPieces(core: string): string[] {
  return cutPieces(core, /\s+/g);
}

/** Greedily packs consecutive pieces into chunks of at most `max` tokens (a single longer piece stays alone). */
function pack(pieces: string[], max: number, measure: Measure): { text: string; tokens: number }[] {
  const chunks: { text: string; tokens: number }[] = [];
  let cur = '';
  let curTokens = 0;
  for (const p of pieces) {
    const t = measure(p);
    if (cur && curTokens + t > max) {
      chunks.push({ text: cur, tokens: curTokens });
      cur = '';
      curTokens = 0;
    }
    cur += p;
    curTokens += t;
  }
  if (cur) {
    chunks.push({ text: cur, tokens: curTokens });
  }
  return chunks;
}

/** Breaks one over-long sentence: clauses first, then words. Returns raw pieces (whitespace kept). */
function breakSentence(sentence: string, max: number, measure: Measure): string[] {
  const out: string[] = [];
  for (const clause of pack(clausePieces(sentence), max, measure)) {
    if (clause.tokens <= max) {
      out.push(clause.text);
    } else {
      for (const chunk of pack(wordPieces(clause.text), max, measure)) {
        out.push(chunk.text);
      }
    }
  }
  return out;
}

/** Turns raw pieces (whose concatenation is the input) into segments, moving whitespace into lead/trail. */
function toSegments(pieces: string[]): Segment[] {
  const segs: Segment[] = [];
  let pendingLead = '';
  for (const p of pieces) {
    const [lead, core, trail] = splitWhitespace(p);
    if (!core) {
      // whitespace only: belongs to the previous segment's trail (or the lead of the first one)
      if (segs.length > 0) {
        segs[segs.length - 1].trail += p;
      } else {
        pendingLead += p;
      }
      continue;
    }
    if (segs.length > 0) {
      segs[segs.length - 1].trail += lead;
      segs.push({ lead: '', text: core, trail });
    } else {
      segs.push({ lead: pendingLead + lead, text: core, trail });
      pendingLead = '';
    }
  }
  return segs;
}

/**
 * Splits `text` into segments of at most `maxTokens` tokens each. Lines are always separate segments (the model
 * cannot write line breaks); a line longer than `maxTokens` is split into sentences (Intl.Segmenter), a sentence
 * longer than that at clause punctuation, and a clause longer than that by words. A single word longer than
 * `maxTokens` stays one segment (the engine truncates it). Whitespace-only text gives no segments.
 */
export function splitSegments(text: string, maxTokens: number, measure: Measure): Segment[] {
  const [, core] = splitWhitespace(text);
  if (!core) {
    return [];
  }
  const pieces: string[] = [];
  for (const line of cutPieces(text, /\n/g)) {
    const [, lineCore] = splitWhitespace(line);
    if (!lineCore || measure(lineCore) <= maxTokens) {
      pieces.push(line);
      continue;
    }
    for (const sentence of sentencePieces(line)) {
      const [, sCore] = splitWhitespace(sentence);
      if (!sCore || measure(sCore) <= maxTokens) {
        pieces.push(sentence);
      } else {
        pieces.push(...breakSentence(sentence, maxTokens, measure));
      }
    }
  }
  return toSegments(pieces);
}

/** Joins rewritten segment texts with the original whitespace: `join(split(x), split(x).map(s => s.text)) === x`. */
export function joinSegments(segments: readonly Segment[], texts: readonly string[]): string {
  if (texts.length !== segments.length) {
    throw new Error(`joinSegments: ${texts.length} texts for ${segments.length} segments`);
  }
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    out += segments[i].lead + texts[i] + segments[i].trail;
  }
  return out;
}
