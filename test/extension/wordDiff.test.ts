import * as assert from 'node:assert/strict';
import { diffStats, DiffPart, MAX_EDIT_LENGTH, tokenize, wordDiff } from '../../src/extension/wordDiff';

const same = (text: string, space = true): DiffPart => ({ kind: 'same', text, space });
const removed = (text: string, space = true): DiffPart => ({ kind: 'removed', text, space });
const added = (text: string, space = true): DiffPart => ({ kind: 'added', text, space });

/** What the panel shows when the removed parts are dropped: the candidate's text with normalised spaces. */
function render(parts: DiffPart[], keep: 'removed' | 'added'): string {
  return parts
    .filter((p) => p.kind !== keep)
    .map((p, i) => (i > 0 && p.space ? ' ' : '') + p.text)
    .join('');
}

describe('extension/wordDiff', () => {
  it('tokenizes words, contractions, hyphenated words and punctuation', () => {
    assert.deepEqual(tokenize("It's a well-known fact, isn't it?"), ["It's", 'a', 'well-known', 'fact', ',', "isn't", 'it', '?']);
    assert.deepEqual(tokenize('  \n\t '), []);
    assert.deepEqual(tokenize('café 42 naïve'), ['café', '42', 'naïve']);
  });

  it('identical texts are one same part (whitespace differences ignored)', () => {
    assert.deepEqual(wordDiff('the cat sat', 'the  cat\nsat'), [same('the cat sat', false)]);
  });

  it('one replaced word: removal before addition', () => {
    assert.deepEqual(wordDiff('the cat sat on the mat', 'the dog sat on the mat'), [
      same('the', false),
      removed('cat'),
      added('dog'),
      same('sat on the mat'),
    ]);
  });

  it('insertions and deletions at the ends', () => {
    assert.deepEqual(wordDiff('cat sat', 'the cat sat down'), [added('the', false), same('cat sat'), added('down')]);
    assert.deepEqual(wordDiff('the cat sat down', 'cat sat'), [removed('the', false), same('cat sat', false), removed('down')]);
  });

  it('punctuation is its own token and keeps its spacing ("world." not "world .")', () => {
    const parts = wordDiff('Hello, world.', 'Hello world!');
    assert.deepEqual(parts, [same('Hello', false), removed(',', false), same('world'), removed('.', false), added('!', false)]);
    assert.equal(render(parts, 'removed'), 'Hello world!');
    assert.equal(render(parts, 'added'), 'Hello, world.');
  });

  it('keeps the longest common subsequence (a reordering keeps the longer run)', () => {
    assert.deepEqual(wordDiff('a b c d e', 'c d e a b'), [removed('a b', false), same('c d e', false), added('a b')]);
  });

  it('empty sides', () => {
    assert.deepEqual(wordDiff('', ''), []);
    assert.deepEqual(wordDiff('', 'new text'), [added('new text', false)]);
    assert.deepEqual(wordDiff('old text', ''), [removed('old text', false)]);
  });

  it('is case-sensitive', () => {
    assert.deepEqual(wordDiff('The cat', 'the cat'), [removed('The', false), added('the', false), same('cat')]);
  });

  it('renders back both sides (spaces normalised) and counts tokens', () => {
    const a = 'The quick brown fox jumps over the lazy dog near the river bank.';
    const b = 'A fast brown fox leaps over a lazy dog by the river.';
    const parts = wordDiff(a, b);
    assert.equal(render(parts, 'removed'), b);
    assert.equal(render(parts, 'added'), a);
    const s = diffStats(parts);
    assert.equal(s.same + s.removed, tokenize(a).length);
    assert.equal(s.same + s.added, tokenize(b).length);
    // brown fox / over / lazy dog / the river / . are common: 8 tokens
    assert.equal(s.same, 8);
  });

  it('falls back to remove-all/add-all above the edit bound', () => {
    const n = Math.ceil(MAX_EDIT_LENGTH / 2) + 10;
    const a = Array.from({ length: n }, (_, i) => `a${i}`).join(' ');
    const b = Array.from({ length: n }, (_, i) => `b${i}`).join(' ');
    const parts = wordDiff('same ' + a + ' end', 'same ' + b + ' end');
    assert.deepEqual(
      parts.map((p) => p.kind),
      ['same', 'removed', 'added', 'same'],
    );
  });
});
