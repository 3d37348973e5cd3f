import * as assert from 'node:assert/strict';
import { collapseRepeats, hasRepeatedWord, repeatedInInput } from '../../src/engine/cleanup';
import type { PieceTable } from '../../src/engine/wordList';

const PIECES = ['[PAD]', '[UNK]', '[SEP]', 'very', 'good', 'writ', '##ing', 'sales', '.'];
const TABLE: PieceTable = { pieces: PIECES, special: new Set([0, 1, 2]) };
const ids = (...p: string[]) => p.map((x) => PIECES.indexOf(x));
const pieces = (i: number[]) => i.map((x) => PIECES[x]);

describe('engine/cleanup', () => {
  it('collapses a word repeated right after itself, words of several pieces included', () => {
    const r = collapseRepeats(ids('good', 'writ', '##ing', 'writ', '##ing', 'sales', 'sales', 'sales', '.'), TABLE, new Set());
    assert.deepEqual(pieces(r.ids), ['good', 'writ', '##ing', 'sales', '.']);
    assert.equal(r.collapsed, 3);
  });

  it('keeps a repeat the input has ("very very")', () => {
    const allowed = repeatedInInput(['a', 'very', 'very', 'good', 'day']);
    assert.deepEqual([...allowed], ['very']);
    const r = collapseRepeats(ids('very', 'very', 'good', 'good'), TABLE, allowed);
    assert.deepEqual(pieces(r.ids), ['very', 'very', 'good']);
  });

  it('does not join copies that a special token separates, nor a word and its longer form', () => {
    const r = collapseRepeats(ids('good', '[UNK]', 'good', 'writ', 'writ', '##ing'), TABLE, new Set());
    assert.deepEqual(pieces(r.ids), ['good', '[UNK]', 'good', 'writ', 'writ', '##ing']);
    assert.equal(r.collapsed, 0);
  });

  it('hasRepeatedWord', () => {
    assert.equal(hasRepeatedWord(['a', 'b', 'b']), true);
    assert.equal(hasRepeatedWord(['a', 'b', 'a']), false);
    assert.equal(hasRepeatedWord(['very', 'very'], new Set(['very'])), false);
  });
});
