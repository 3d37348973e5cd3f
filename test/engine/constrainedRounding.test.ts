import * as assert from 'node:assert/strict';
import { constrainedArgmax, denseScores, inventedPositions, topTokens } from '../../src/engine/constrainedRounding';
import { Lexicon, type PieceTable } from '../../src/engine/wordList';

// A hand-made vocabulary: ids 0-2 special, the rest pieces.
const PIECES = ['[PAD]', '[UNK]', '[SEP]', 'the', 'cat', '##s', 'un', '##believ', '##able', 'dog', '##gy', '##x', 'zorb', 'sat', '##q'];
const TABLE: PieceTable = { pieces: PIECES, special: new Set([0, 1, 2]) };
const V = PIECES.length;
const id = (piece: string): number => PIECES.indexOf(piece);
const LEX = new Lexicon(['the', 'cat', 'cats', 'unbelievable', 'dog', 'doggy', 'sat']);

/** A score matrix from per-position maps piece → score (every other token scores -10). */
function scores(rows: Record<string, number>[]): ReturnType<typeof denseScores> {
  const data = new Float32Array(rows.length * V).fill(-10);
  rows.forEach((r, p) => {
    for (const [piece, s] of Object.entries(r)) data[p * V + id(piece)] = s;
  });
  return denseScores(data, rows.length, V);
}

/** The per-position argmax of a matrix over the non-special tokens (what rounding.onnx returns where no special wins). */
function argmax(m: ReturnType<typeof denseScores>): number[] {
  return Array.from({ length: m.positions }, (_, p) => topTokens(m.row(p), 1, TABLE)[0]);
}

const pieces = (ids: number[]) => ids.map((i) => PIECES[i]);

describe('engine/constrainedRounding', () => {
  it('keeps an argmax whose words all exist, a word of three pieces included', () => {
    const m = scores([{ the: 5 }, { un: 5 }, { '##believ': 5 }, { '##able': 5, '##s': 4 }]);
    const r = constrainedArgmax(argmax(m), m, TABLE, LEX);
    assert.deepEqual(pieces(r.ids), ['the', 'un', '##believ', '##able']);
    assert.equal(r.replaced, 0);
  });

  it('replaces an invented word by the best-scoring real one: "catx" becomes "cats"', () => {
    const m = scores([{ the: 5 }, { cat: 5, dog: 1 }, { '##x': 5, '##s': 2 }, { sat: 5 }]);
    const r = constrainedArgmax(argmax(m), m, TABLE, LEX);
    assert.deepEqual(pieces(r.ids), ['the', 'cat', '##s', 'sat']);
    assert.equal(r.replaced, 1);
  });

  it('chooses the pieces of a word jointly, by their total score, not position by position', () => {
    // Fixing the last piece alone gives "cats" (5 + 0.5); "doggy" (4.9 + 4.8) scores higher as a whole.
    const m = scores([
      { cat: 5, dog: 4.9 },
      { '##x': 5, '##gy': 4.8, '##s': 0.5 },
    ]);
    assert.deepEqual(pieces(constrainedArgmax(argmax(m), m, TABLE, LEX).ids), ['dog', '##gy']);
  });

  it('fixes a word split across three pieces at its third piece', () => {
    const m = scores([{ un: 5 }, { '##believ': 5 }, { '##s': 5, '##able': 1 }]);
    const r = constrainedArgmax(argmax(m), m, TABLE, LEX);
    assert.deepEqual(pieces(r.ids), ['un', '##believ', '##able']);
  });

  it('allows a word only the input contains, and only then', () => {
    const m = scores([{ the: 5 }, { zorb: 5, dog: 3 }, { sat: 5 }]);
    assert.deepEqual(pieces(constrainedArgmax(argmax(m), m, TABLE, LEX.with(['zorb'])).ids), ['the', 'zorb', 'sat']);
    assert.deepEqual(pieces(constrainedArgmax(argmax(m), m, TABLE, LEX).ids), ['the', 'dog', 'sat']);
  });

  it('leaves special tokens and the words around an invented one untouched', () => {
    const m = scores([{ cat: 5 }, { '##q': 5, '##s': 1 }, { '[UNK]': 5 }, { dog: 5 }]);
    const argmaxIds = [id('cat'), id('##q'), id('[UNK]'), id('dog')];
    assert.deepEqual(pieces(constrainedArgmax(argmaxIds, m, TABLE, LEX).ids), ['cat', '##s', '[UNK]', 'dog']);
  });

  it('falls back to the best whole word, dropping the other pieces, when no alternative within topK makes one', () => {
    const m = scores([{ cat: 5, sat: 4, the: 3 }, { '##q': 5, '##s': 1 }, { '##x': 5 }]);
    // With only the best token per position, "catqx" has no real alternative.
    const r = constrainedArgmax(argmax(m), m, TABLE, LEX, { topK: 1 });
    assert.deepEqual(pieces(r.ids), ['cat']);
    assert.equal(r.replaced, 1);
  });

  it('does not start a replacement with a continuation piece (that would change the word before)', () => {
    // "##s" scores best at position 0 but has no word to continue there.
    const m = scores([{ zorb: 5, '##s': 4, dog: 3 }, { sat: 5 }]);
    assert.deepEqual(pieces(constrainedArgmax(argmax(m), m, TABLE, LEX).ids), ['dog', 'sat']);
  });

  it('topTokens: best first, ties to the lower id, special tokens never', () => {
    const row = new Float32Array(V).fill(0);
    row[id('[SEP]')] = 9;
    row[id('dog')] = 3;
    row[id('cat')] = 3;
    row[id('sat')] = 7;
    assert.deepEqual(pieces(topTokens(row, 3, TABLE)), ['sat', 'cat', 'dog']);
  });

  it('inventedPositions: the positions of words the list does not have', () => {
    const ids = [id('the'), id('cat'), id('##x'), id('[SEP]'), id('zorb'), id('dog')];
    assert.deepEqual(inventedPositions(ids, TABLE, LEX), [1, 2, 4]);
    assert.deepEqual(inventedPositions(ids, TABLE, LEX.with(['zorb', 'catx'])), []);
  });
});
