/**
 * Constrained rounding: the argmax over the rounding scores, except where the argmax pieces would assemble a word
 * that does not exist. Such a word's positions get the best-scoring pieces (by the sum of their scores) that
 * assemble only existing words: words of the tokenizer's training text or of the input (a WordCheck). Pure
 * functions over a score matrix; the engine computes only the rows of invented words' positions (inventedPositions,
 * scoresGraph.ts), so a row without one costs nothing (docs/engine.md).
 */
import { CONTINUATION, wordSpans, type PieceTable, type WordCheck } from './wordList';

/** Rounding scores [positions × vocab]: `row(p)[v]` is how well token v fits position p (higher is better). */
export interface ScoreMatrix {
  readonly positions: number;
  readonly vocab: number;
  row(p: number): Float32Array;
}

/** A ScoreMatrix over a dense row-major Float32Array. */
export function denseScores(data: Float32Array, positions: number, vocab: number): ScoreMatrix {
  if (data.length !== positions * vocab) throw new RangeError(`${data.length} scores are not ${positions} × ${vocab}`);
  return { positions, vocab, row: (p) => data.subarray(p * vocab, (p + 1) * vocab) };
}

/**
 * ½‖E_v‖² of each row of an embedding [V × d]: the rounding graph's scores (docs/model-format.md) are
 * x·E_v − ½‖E_v‖², whose argmax is the nearest embedding; scoresGraph.ts computes them.
 */
export function halfSquaredNorms(embedding: Float32Array, V: number, d: number): Float32Array {
  const out = new Float32Array(V);
  for (let v = 0; v < V; v++) {
    let s = 0;
    for (let i = v * d; i < (v + 1) * d; i++) s += embedding[i] * embedding[i];
    out[v] = s / 2;
  }
  return out;
}

/** The positions of `ids` inside words that `words` does not have: the score rows constrainedArgmax will read. */
export function inventedPositions(ids: readonly number[], table: PieceTable, words: WordCheck): number[] {
  const out: number[] = [];
  for (const span of wordSpans(ids, table)) {
    if (!words.has(span.word)) for (let p = span.start; p < span.end; p++) out.push(p);
  }
  return out;
}

export interface ConstraintOptions {
  /** Alternatives considered at each position of an invented word: its best-scoring tokens (default 32). */
  topK?: number;
  /** Partial words kept per position in the search (default 64). */
  beam?: number;
}

export interface ConstrainedRow {
  ids: number[];
  /** Invented words replaced. */
  replaced: number;
}

/**
 * `ids` (the per-position argmax of `scores`, cut before the end marker) with every invented word replaced.
 *
 * A word is a piece and its `##` continuations (wordList.wordSpans). For each word that `words` does not have, over
 * its positions [a, b): the choice of one token per position, each among that position's topK non-special tokens,
 * with the highest total score such that every word it assembles exists — the first token starts a word (no `##`),
 * so the words before and after are untouched. The search keeps, per position, the best choice for each partial
 * word (the future depends only on it), at most `beam` of them, and prunes partial words no word starts with.
 * When nothing within topK makes real words, the best-scoring token that is a whole word by itself takes
 * position a and the word's other positions are dropped.
 */
export function constrainedArgmax(
  ids: readonly number[],
  scores: ScoreMatrix,
  table: PieceTable,
  words: WordCheck,
  opts: ConstraintOptions = {},
): ConstrainedRow {
  const topK = opts.topK ?? 32;
  const beam = opts.beam ?? 64;
  const out: number[] = [];
  let replaced = 0;
  let next = 0;
  for (const span of wordSpans(ids, table)) {
    if (words.has(span.word)) continue;
    for (; next < span.start; next++) out.push(ids[next]);
    out.push(...bestRealWords(span.start, span.end, scores, table, words, topK, beam));
    next = span.end;
    replaced++;
  }
  for (; next < ids.length; next++) out.push(ids[next]);
  return { ids: out, replaced };
}

interface Partial {
  /** The token chosen at this position, and the choice before it (a chain, so that extending does not copy). */
  token: number;
  prev: Partial | undefined;
  length: number;
  /** The word being assembled. */
  word: string;
  score: number;
}

function bestRealWords(
  a: number,
  b: number,
  scores: ScoreMatrix,
  table: PieceTable,
  words: WordCheck,
  topK: number,
  beam: number,
): number[] {
  let states: Partial[] = [];
  for (let p = a; p < b && (p === a || states.length > 0); p++) {
    const row = scores.row(p);
    const best = new Map<string, Partial>();
    for (const t of topTokens(row, topK, table)) {
      const piece = table.pieces[t];
      const continues = piece.startsWith(CONTINUATION);
      const tail = continues ? piece.slice(CONTINUATION.length) : piece;
      const from: (Partial | undefined)[] = p === a ? [undefined] : states;
      for (const s of from) {
        let word: string;
        if (continues) {
          if (!s) continue; // the first position starts a word
          word = s.word + tail;
        } else {
          if (s && !words.has(s.word)) continue; // the word before must be complete
          word = tail;
        }
        const score = (s?.score ?? 0) + row[t];
        // The finished words are all real, so only the word being assembled matters for what may follow: keep the
        // best choice per partial word.
        const prev = best.get(word);
        if (prev && prev.score >= score) continue;
        if (!prev && !words.hasPrefix(word)) continue;
        best.set(word, { token: t, prev: s, length: (s?.length ?? 0) + 1, word, score });
      }
    }
    states = [...best.values()].sort((x, y) => y.score - x.score).slice(0, beam);
  }
  let winner: Partial | undefined;
  for (const s of states) if (s.length === b - a && words.has(s.word) && (!winner || s.score > winner.score)) winner = s;
  if (!winner) return [bestWholeWord(scores.row(a), table, words)];
  const ids: number[] = [];
  for (let s: Partial | undefined = winner; s; s = s.prev) ids.push(s.token);
  return ids.reverse();
}

/** The `k` best-scoring non-special tokens of `row`, best first (ties: lower id first). */
export function topTokens(row: Float32Array, k: number, table: PieceTable): number[] {
  const ids: number[] = [];
  for (let v = 0; v < row.length; v++) {
    if (table.special.has(v)) continue;
    if (ids.length === k && row[v] <= row[ids[k - 1]]) continue;
    let i = Math.min(ids.length, k - 1);
    if (ids.length < k) ids.push(v);
    while (i > 0 && row[ids[i - 1]] < row[v]) {
      ids[i] = ids[i - 1];
      i--;
    }
    ids[i] = v;
  }
  return ids;
}

/** The best-scoring token that is a real word by itself (never a `##` piece, never special). */
function bestWholeWord(row: Float32Array, table: PieceTable, words: WordCheck): number {
  let best = -1;
  for (let v = 0; v < row.length; v++) {
    if (table.special.has(v)) continue;
    const piece = table.pieces[v];
    if (piece.startsWith(CONTINUATION) || !words.has(piece)) continue;
    if (best < 0 || row[v] > row[best]) best = v;
  }
  if (best < 0) throw new Error('the word list has no word that is a single token');
  return best;
}
