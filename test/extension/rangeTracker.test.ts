import * as assert from 'node:assert/strict';
import { relocate, shiftSpan, shiftSpanAll, type Span, type TextChange } from '../../src/extension/rangeTracker';

/** Applies `changes` to `text` one after the other, as VS Code applies one event's changes. */
function edit(text: string, changes: ReadonlyArray<TextChange & { text: string }>): string {
  return changes.reduce((t, c) => t.slice(0, c.offset) + c.text + t.slice(c.offset + c.deleted), text);
}
const change = (offset: number, deleted: number, text: string) => ({ offset, deleted, inserted: text.length, text });
const at = (text: string, s: Span) => text.slice(s.start, s.end);

describe('extension/rangeTracker', () => {
  // "One. Two. Three." — three sentences on one line: One. = [0,4), Two. = [5,9), Three. = [10,16).
  const line = 'One. Two. Three.';
  const one = { start: 0, end: 4 };
  const two = { start: 5, end: 9 };
  const three = { start: 10, end: 16 };

  it('moves the later selections of a line when an earlier one is replaced, applied in turn', () => {
    // Apply "The first one." over One. (+10 characters), then "2." over Two. (−2), then Three. is still found.
    const c1 = change(0, 4, 'The first one.');
    const doc1 = edit(line, [c1]);
    const two1 = shiftSpan(two, c1);
    const three1 = shiftSpan(three, c1);
    assert.deepEqual(two1, { start: 15, end: 19 });
    assert.equal(at(doc1, two1), 'Two.');
    assert.equal(at(doc1, three1), 'Three.');
    const c2 = change(two1.start, 4, '2.');
    const doc2 = edit(doc1, [c2]);
    const three2 = shiftSpan(three1, c2);
    assert.deepEqual(three2, { start: 18, end: 24 });
    assert.equal(at(doc2, three2), 'Three.');
    assert.equal(doc2, 'The first one. 2. Three.');
  });

  it('follows a line deleted above the selection (the next sentence is never taken for it)', () => {
    const doc = 'Line one.\nThe quick brown fox.\nLast line.';
    const fox = { start: 10, end: 30 };
    const del = change(0, 10, '');
    const after = shiftSpan(fox, del);
    assert.deepEqual(after, { start: 0, end: 20 });
    assert.equal(at(edit(doc, [del]), after), 'The quick brown fox.');
  });

  it('treats typing right before or right after a selection as outside it', () => {
    assert.deepEqual(shiftSpan(two, change(5, 0, 'xx')), { start: 7, end: 11 });
    assert.deepEqual(shiftSpan(two, change(9, 0, 'xx')), two);
    assert.deepEqual(shiftSpan(two, change(9, 1, '')), two);
  });

  it('stretches over an edit inside, so the caller sees the changed text', () => {
    const c = change(6, 2, 'WWWW'); // Two. → TWWWW.
    const doc = edit(line, [c]);
    const s = shiftSpan(two, c);
    assert.deepEqual(s, { start: 5, end: 11 });
    assert.equal(at(doc, s), 'TWWWW.');
  });

  it('covers what replaced it when an edit overlaps an end or swallows it whole', () => {
    // Delete "e. Tw" (offsets 2..7): the span keeps "o." at [2,4).
    assert.deepEqual(shiftSpan(two, change(2, 5, '')), { start: 2, end: 4 });
    // Replace "o. Th" (7..12) with "-": the span becomes "Tw-" at [5,8).
    assert.deepEqual(shiftSpan(two, change(7, 5, '-')), { start: 5, end: 8 });
    // Delete the whole line: an empty span at 0.
    assert.deepEqual(shiftSpan(three, change(0, 16, '')), { start: 0, end: 0 });
    // Our own apply replaces exactly the span: it covers the new text.
    assert.deepEqual(shiftSpan(one, change(0, 4, 'Uno!!')), { start: 0, end: 5 });
  });

  it('applies one event’s changes in order (VS Code lists a multi-cursor edit from the end)', () => {
    const changes = [change(10, 6, '3.'), change(0, 4, '1.')];
    const doc = edit(line, changes);
    assert.equal(doc, '1. Two. 3.');
    const s = shiftSpanAll(two, changes);
    assert.equal(at(doc, s), 'Two.');
  });

  it('relocates text only where it occurs exactly once', () => {
    assert.deepEqual(relocate('a. Two. b.', 'Two.'), { kind: 'found', span: { start: 3, end: 7 } });
    assert.deepEqual(relocate('Two. and Two.', 'Two.'), { kind: 'ambiguous', count: 2 });
    assert.deepEqual(relocate('aaa', 'aa'), { kind: 'ambiguous', count: 2 });
    assert.deepEqual(relocate('nothing here', 'Two.'), { kind: 'missing' });
    assert.deepEqual(relocate('x', ''), { kind: 'missing' });
  });
});
