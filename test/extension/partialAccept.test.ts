import * as assert from 'node:assert/strict';
import { applyHunks, hunksOverlap, MixPick, togglePick } from '../../src/extension/partialAccept';
import { diffHunks, wordDiff } from '../../src/extension/wordDiff';

const h = (from: number, to: number, text = '') => ({ from, to, text });

describe('extension/partialAccept', () => {
  describe('diffHunks (wordDiff.ts): the changed chunks as edits of the original', () => {
    it('one replaced word, one hunk per changed run of the word diff', () => {
      const o = 'the cat sat on the mat';
      assert.deepEqual(diffHunks(o, 'the dog sat on the rug'), [h(4, 7, 'dog'), h(19, 22, 'rug')]);
      // The same runs the panel shows as changed chunks:
      assert.equal(
        wordDiff(o, 'the dog sat on the rug').filter((p, i, a) => p.kind !== 'same' && (i === 0 || a[i - 1].kind === 'same')).length,
        2,
      );
    });

    it('a replacement takes the candidate’s own text for the stretch (its spacing inside it)', () => {
      assert.deepEqual(diffHunks('It is very good.', 'It is rather  nice.'), [h(6, 15, 'rather  nice')]);
    });

    it('an insertion goes after the word before it with the candidate’s space; at the start, before the first word', () => {
      assert.deepEqual(diffHunks('the cat sat', 'the black cat sat'), [h(3, 3, ' black')]);
      assert.deepEqual(diffHunks('cat sat', 'The cat sat'), [h(0, 0, 'The ')]);
      assert.deepEqual(diffHunks('the cat sat', 'the cat sat down'), [h(11, 11, ' down')]);
    });

    it('a deletion takes the whitespace before the words, or after them at the start or at a line start', () => {
      assert.deepEqual(diffHunks('the big cat sat', 'the cat sat'), [h(3, 7)]);
      assert.deepEqual(diffHunks('Well the cat sat', 'the cat sat'), [h(0, 5)]);
      assert.deepEqual(diffHunks('// one\n// two three', '// one\n// three'), [h(9, 13)]);
      assert.deepEqual(diffHunks('one\ntwo three', 'one\nthree'), [h(4, 8)]);
    });

    it('applying every hunk of a candidate to the original gives the candidate (its words and spacing)', () => {
      const o = 'The committee postponed the decision because several members were unable to attend.';
      const c = 'The board delayed the decision since many members could not attend.';
      assert.equal(applyHunks(o, diffHunks(o, c)), c);
      const lines = '  // The cache is dropped whenever the\n  // configuration changes.';
      const cand = '  // The cache is cleared when the\n  // settings change.';
      assert.equal(applyHunks(lines, diffHunks(lines, cand)), cand);
    });
  });

  it('hunksOverlap: intersecting ranges and same-point insertions clash; edges do not', () => {
    assert.equal(hunksOverlap(h(4, 7), h(6, 9)), true);
    assert.equal(hunksOverlap(h(4, 7), h(7, 9)), false);
    assert.equal(hunksOverlap(h(3, 3), h(3, 3)), true);
    assert.equal(hunksOverlap(h(5, 5), h(4, 7)), true);
    assert.equal(hunksOverlap(h(4, 4), h(4, 7)), false);
    assert.equal(hunksOverlap(h(4, 7), h(7, 7)), false);
  });

  it('togglePick: accept, take back, and a chunk for the same words from another candidate replaces the first', () => {
    const hunks: Record<string, ReturnType<typeof h>> = { '0:0': h(4, 7, 'dog'), '0:1': h(19, 22, 'rug'), '1:0': h(4, 7, 'fox') };
    const of = (p: MixPick) => hunks[`${p.candidate}:${p.hunk}`];
    let picks = togglePick([], { candidate: 0, hunk: 0 }, of);
    picks = togglePick(picks, { candidate: 0, hunk: 1 }, of);
    assert.deepEqual(picks, [
      { candidate: 0, hunk: 0 },
      { candidate: 0, hunk: 1 },
    ]);
    picks = togglePick(picks, { candidate: 1, hunk: 0 }, of);
    assert.deepEqual(picks, [
      { candidate: 0, hunk: 1 },
      { candidate: 1, hunk: 0 },
    ]);
    assert.equal(applyHunks('the cat sat on the mat', picks.map(of)), 'the fox sat on the rug');
    picks = togglePick(picks, { candidate: 0, hunk: 1 }, of);
    assert.deepEqual(picks, [{ candidate: 1, hunk: 0 }]);
    assert.deepEqual(togglePick(picks, { candidate: 5, hunk: 0 }, of), picks, 'an unknown chunk changes nothing');
  });

  it('applyHunks: in position order whatever the pick order; an insertion before a replacement at the same place', () => {
    assert.equal(applyHunks('abcdef', [h(4, 5, 'E'), h(0, 1, 'A')]), 'AbcdEf');
    assert.equal(applyHunks('abc', [h(1, 2, 'B'), h(1, 1, '+')]), 'a+Bc');
    assert.equal(applyHunks('abc', []), 'abc');
  });
});
