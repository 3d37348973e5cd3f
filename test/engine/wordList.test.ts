import * as assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Lexicon, decodeWordList, encodeWordList, pieceTableOf, wordSpans, wordsOf } from '../../src/engine/wordList';

describe('engine/wordList', () => {
  it('writes a sorted, deduplicated, versioned gzip file and reads it back', () => {
    const bytes = encodeWordList(['cat', 'apple', 'cat', 'Zed', '']);
    assert.equal(gunzipSync(bytes).toString('utf8'), '#diffuseq-words 1\nZed\napple\ncat\n');
    assert.deepEqual(decodeWordList(bytes), ['Zed', 'apple', 'cat']);
  });

  it('refuses a file of another version or format, saying which', () => {
    assert.throws(() => decodeWordList(gzipSync('#diffuseq-words 2\ncat\n')), /version 2 \(this engine reads version 1\)/);
    assert.throws(() => decodeWordList(gzipSync('cat\n')), /does not start with "#diffuseq-words 1"/);
    assert.throws(() => decodeWordList(Buffer.from('cat\n')), /not gzip/);
  });

  it('reads the pieces of a tokenizer.json, added tokens special', () => {
    const t = pieceTableOf({
      model: { vocab: { '[PAD]': 0, cat: 1, '##s': 2 } },
      added_tokens: [
        { id: 0, content: '[PAD]', special: true },
        { id: 3, content: '[PARA]', special: true },
      ],
    });
    assert.deepEqual(t.pieces, ['[PAD]', 'cat', '##s', '[PARA]']);
    assert.deepEqual([...t.special].sort(), [0, 3]);
  });

  it('assembles words from pieces: ## continues, special tokens separate, a leading ## stands alone', () => {
    const table = { pieces: ['[SEP]', 'un', '##believ', '##able', 'cat', '##s'], special: new Set([0]) };
    assert.deepEqual(wordSpans([5, 1, 2, 3, 0, 5, 4, 5], table), [
      { start: 0, end: 1, word: 's' },
      { start: 1, end: 4, word: 'unbelievable' },
      { start: 5, end: 6, word: 's' },
      { start: 6, end: 8, word: 'cats' },
    ]);
    assert.deepEqual(wordsOf([4, 4, 5], table), ['cat', 'cats']);
  });

  it('Lexicon: membership, prefixes, and extra words without changing the list', () => {
    const lex = new Lexicon(['cat', 'cats', 'dog']);
    assert.equal(lex.has('cat'), true);
    assert.equal(lex.has('ca'), false);
    assert.equal(lex.hasPrefix('ca'), true);
    assert.equal(lex.hasPrefix('do'), true);
    assert.equal(lex.hasPrefix('dogs'), false);
    assert.equal(lex.hasPrefix('e'), false);
    const more = lex.with(['zorb']);
    assert.equal(more.has('zorb'), true);
    assert.equal(more.hasPrefix('zo'), true);
    assert.equal(lex.has('zorb'), false);
  });
});
