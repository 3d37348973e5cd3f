/**
 * The model's word list: every word of the tokenizer's training text, as the WordPiece pieces assemble it (a piece,
 * then its `##` continuations, joined without the `##`). The engine's constrained rounding lets the model write only
 * these words and the input's own words (docs/engine.md). The file format (docs/model-format.md) is a gzip-compressed
 * UTF-8 text: a header line `#diffuseq-words 1`, then one word per line, sorted by code unit, no duplicates.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** The file name `prepare` writes and `export` copies into the package (manifest `files.words`). */
export const WORD_LIST_FILE = 'words.txt.gz';
export const WORD_LIST_VERSION = 1;
const HEADER = `#diffuseq-words ${WORD_LIST_VERSION}`;

/** WordPiece's continuation mark. */
export const CONTINUATION = '##';

/** The bytes of a word-list file for `words` (deduplicated and sorted here). */
export function encodeWordList(words: Iterable<string>): Buffer {
  const sorted = [...new Set(words)].filter((w) => w !== '' && !/[\r\n]/.test(w)).sort(compareCodeUnits);
  return gzipSync(Buffer.from([HEADER, ...sorted].join('\n') + '\n', 'utf8'), { level: 9 });
}

/** The words of a word-list file; throws an Error saying what is wrong (a foreign file, another version). */
export function decodeWordList(bytes: Uint8Array): string[] {
  let text: string;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch {
    throw new Error('is not gzip-compressed');
  }
  const lines = text.split('\n');
  const m = /^#diffuseq-words (\d+)$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`does not start with "${HEADER}"`);
  if (Number(m[1]) !== WORD_LIST_VERSION) {
    throw new Error(`is version ${m[1]} (this engine reads version ${WORD_LIST_VERSION})`);
  }
  return lines.slice(1).filter((w) => w !== '');
}

/** The vocabulary as the word assembly reads it: each id's piece, and which ids are special (never part of a word). */
export interface PieceTable {
  /** `pieces[id]`: the token's text as in tokenizer.json ("walk", "##ing", "[SEP]"). */
  readonly pieces: readonly string[];
  readonly special: ReadonlySet<number>;
}

/** The piece table of a Hugging Face tokenizer.json (a WordPiece model's vocab plus its added tokens). */
export function pieceTableOf(tokenizerJson: unknown): PieceTable {
  const t = tokenizerJson as {
    model?: { vocab?: Record<string, number> };
    added_tokens?: { id: number; content: string; special?: boolean }[];
  };
  const vocab = t.model?.vocab;
  if (!vocab || typeof vocab !== 'object') throw new Error('tokenizer.json has no model.vocab (not a WordPiece tokenizer)');
  const pieces: string[] = [];
  for (const [piece, id] of Object.entries(vocab)) pieces[id] = piece;
  const special = new Set<number>();
  for (const a of t.added_tokens ?? []) {
    pieces[a.id] = a.content;
    if (a.special !== false) special.add(a.id);
  }
  for (let i = 0; i < pieces.length; i++) if (pieces[i] === undefined) pieces[i] = '';
  return { pieces, special };
}

/** A span of token positions that assembles one word. */
export interface WordSpan {
  /** First position (a piece that does not start with ##). */
  start: number;
  /** One past the last position. */
  end: number;
  word: string;
}

/**
 * The words `ids` assemble: a non-special piece starts a word, each following `##` piece continues it. A `##` piece
 * with no word before it (the start, or after a special token) starts a word of its own. Special tokens belong to no
 * word.
 */
export function wordSpans(ids: readonly number[], table: PieceTable): WordSpan[] {
  const spans: WordSpan[] = [];
  let cur: WordSpan | undefined;
  for (let p = 0; p < ids.length; p++) {
    const id = ids[p];
    if (table.special.has(id)) {
      cur = undefined;
      continue;
    }
    const piece = table.pieces[id] ?? '';
    if (cur && piece.startsWith(CONTINUATION)) {
      cur.word += piece.slice(CONTINUATION.length);
      cur.end = p + 1;
    } else {
      cur = { start: p, end: p + 1, word: stripContinuation(piece) };
      spans.push(cur);
    }
  }
  return spans;
}

/** The words of `ids` (see wordSpans). */
export function wordsOf(ids: readonly number[], table: PieceTable): string[] {
  return wordSpans(ids, table).map((s) => s.word);
}

export function stripContinuation(piece: string): string {
  return piece.startsWith(CONTINUATION) ? piece.slice(CONTINUATION.length) : piece;
}

/** Which words exist: membership, and whether a partial word can still grow into one. */
export interface WordCheck {
  has(word: string): boolean;
  /** Some word starts with `prefix` (itself included). */
  hasPrefix(prefix: string): boolean;
}

/** The words of a word list, for lookups: a set for membership, a sorted array for prefixes. */
export class Lexicon implements WordCheck {
  private readonly set: Set<string>;
  private readonly sorted: string[];

  constructor(words: Iterable<string>) {
    this.set = new Set(words);
    this.sorted = [...this.set].sort(compareCodeUnits);
  }

  get size(): number {
    return this.sorted.length;
  }

  has(word: string): boolean {
    return this.set.has(word);
  }

  hasPrefix(prefix: string): boolean {
    // The first word ≥ prefix in code-unit order starts with it, if any word does.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.sorted.length && this.sorted[lo].startsWith(prefix);
  }

  /** This lexicon plus `extra` words (the input's own): a new WordCheck, this one unchanged. */
  with(extra: Iterable<string>): WordCheck {
    const more = [...new Set(extra)].filter((w) => !this.set.has(w));
    if (more.length === 0) return this;
    return {
      has: (w) => this.set.has(w) || more.includes(w),
      hasPrefix: (p) => this.hasPrefix(p) || more.some((w) => w.startsWith(p)),
    };
  }
}

/** JavaScript's default string order (by UTF-16 code unit), spelled out so the file order does not depend on a locale. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
