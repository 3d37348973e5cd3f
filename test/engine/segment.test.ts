import * as assert from 'node:assert/strict';
import { clausePieces, joinSegments, sentencePieces, splitSegments, splitWhitespace, wordPieces } from '../../src/engine/segment';

/** Stand-in for the tokenizer's count in these pure tests: one token per word or punctuation mark. */
const measure = (s: string): number => (s.match(/\w+|[^\w\s]/g) ?? []).length;

function roundTrip(text: string, max: number): void {
  const segs = splitSegments(text, max, measure);
  assert.equal(segs.map((s) => s.lead + s.text + s.trail).join(''), text);
  assert.equal(
    joinSegments(
      segs,
      segs.map((s) => s.text),
    ),
    text,
  );
  for (const s of segs) {
    assert.ok(s.text.length > 0 && s.text.trim() === s.text, JSON.stringify(s));
  }
}

describe('engine/segment', () => {
  it('splitWhitespace', () => {
    assert.deepEqual(splitWhitespace('  a b \n'), ['  ', 'a b', ' \n']);
    assert.deepEqual(splitWhitespace('   '), ['   ', '', '']);
    assert.deepEqual(splitWhitespace('x'), ['', 'x', '']);
  });

  it('keeps text that fits as one segment with its outer whitespace', () => {
    const segs = splitSegments('  How can I be a good geologist?\n', 60, measure);
    assert.deepEqual(segs, [{ lead: '  ', text: 'How can I be a good geologist?', trail: '\n' }]);
  });

  it('gives no segments for whitespace-only text', () => {
    assert.deepEqual(splitSegments(' \n\t ', 60, measure), []);
    assert.deepEqual(splitSegments('', 60, measure), []);
  });

  it('always splits at line breaks and keeps them exactly', () => {
    const text = 'Title line\n\n  Indented line.\r\nLast';
    const segs = splitSegments(text, 60, measure);
    assert.deepEqual(
      segs.map((s) => s.text),
      ['Title line', 'Indented line.', 'Last'],
    );
    assert.equal(segs[0].trail, '\n\n  ');
    assert.equal(segs[1].trail, '\r\n');
    roundTrip(text, 60);
  });

  it('splits an over-long line into sentences, keeping the spaces between them', () => {
    const text = 'The cat sat on the mat.  Mr. Smith saw it! Did he?';
    const segs = splitSegments(text, 8, measure);
    assert.deepEqual(
      segs.map((s) => s.text),
      ['The cat sat on the mat.', 'Mr. Smith saw it!', 'Did he?'],
    );
    assert.equal(segs[0].trail, '  ');
    assert.equal(segs[1].trail, ' ');
    assert.equal(joinSegments(segs, ['A', 'B', 'C']), 'A  B C');
  });

  it('splits an over-long sentence at clauses, then by words', () => {
    const text = 'one two three, four five six; seven eight nine ten eleven twelve thirteen.';
    const segs = splitSegments(text, 5, measure);
    for (const s of segs) {
      assert.ok(measure(s.text) <= 5, `${s.text} has ${measure(s.text)} tokens`);
    }
    assert.equal(segs[0].text, 'one two three,');
    assert.equal(segs[1].text, 'four five six;');
    roundTrip(text, 5);
  });

  it('keeps a single over-long word as one segment', () => {
    const segs = splitSegments('a-b-c-d-e-f', 3, measure);
    assert.equal(segs.length, 1);
  });

  it('round-trips assorted text', () => {
    const samples = [
      '\n\nHello world. This is a test, with clauses; and more. \n\n Next paragraph!\n',
      'a b c d e f g h i j k l m n o p',
      ' x ',
      'One.Two. Three?\tFour!',
    ];
    for (const s of samples) {
      for (const max of [1, 2, 3, 5, 100]) {
        roundTrip(s, max);
      }
    }
  });

  it('joinSegments checks the number of texts', () => {
    const segs = splitSegments('a. b.', 1, measure);
    assert.throws(() => joinSegments(segs, ['x']), /texts for/);
  });

  it('piece helpers keep all characters', () => {
    const s = 'a, b; c - d e';
    assert.equal(clausePieces(s).join(''), s);
    assert.equal(wordPieces(s).join(''), s);
    assert.equal(sentencePieces('A b. C d? e f.').join(''), 'A b. C d? e f.');
  });
});
