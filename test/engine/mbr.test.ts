import * as assert from 'node:assert/strict';
import { diversityOf, isBlankCandidate, mbrSelect } from '../../src/engine/mbr';

const close = (a: number, b: number, tol: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

// BLEU(hyp "a b c d", ref "a b c e") = BLEU(hyp "a b c e", ref "a b c d"):
// p = 3/4, 2/3, 1/2, (ln 4/10)/1 = 0.138629; BP = 1 ⇒ (0.25·0.138629)^¼ = 0.0346574^¼ = 0.431468.
const B_ABCD_ABCE = 0.43146827293898643;

describe('engine/mbr', () => {
  it('scores each candidate by its mean BLEU against the others and breaks ties to the lowest index', () => {
    // c0 = c1 = "a b c d" (BLEU 1 against each other), c2 = "a b c e", c3 = "q r" (no overlap with anyone).
    // c0: (1 + 0.431468 + 0)/3 = 0.477156 = c1 (tie ⇒ index 0); c2: (0.431468·2 + 0)/3 = 0.287645; c3: 0.
    const r = mbrSelect(['a b c d', 'a b c d', 'a b c e', 'q r']);
    assert.equal(r.index, 0);
    close(r.scores[0], (1 + B_ABCD_ABCE) / 3, 1e-15);
    close(r.scores[1], (1 + B_ABCD_ABCE) / 3, 1e-15);
    close(r.scores[2], (2 * B_ABCD_ABCE) / 3, 1e-15);
    assert.equal(r.scores[3], 0);
    assert.equal(mbrSelect(['q r', 'A B C D', 'a b c d']).index, 1);
  });

  it('gives a lone candidate score 1 and refuses an empty set', () => {
    assert.deepEqual(mbrSelect(['only']), { index: 0, scores: [1] });
    assert.throws(() => mbrSelect([]), RangeError);
  });

  it('never picks a blank candidate while one has text, even when every score ties', () => {
    // "Hello" against "", "  " and "Hi": BLEU 0 against each (no shared word) ⇒ every score 0, the first index used to win.
    const r = mbrSelect(['', 'Hello', '  \n', 'Hi']);
    assert.equal(r.index, 1);
    assert.deepEqual(r.scores, [0, 0, 0, 0]);
    // A blank candidate scores 0 even where the others agree with it, and the lone blank candidate scores 0.
    assert.equal(mbrSelect([' ', 'a b c d', 'a b c d']).index, 1);
    assert.deepEqual(mbrSelect(['\t']), { index: 0, scores: [0] });
    assert.equal(mbrSelect(['a b c d', 'a b c d'], { orientation: 'diffuseq' }).index, 0);
    assert.equal(mbrSelect(['', 'x'], { orientation: 'diffuseq' }).index, 1);
  });

  it('returns a blank choice only when every candidate is blank', () => {
    const r = mbrSelect(['', ' ', '\n']);
    assert.equal(r.index, 0);
    assert.ok(isBlankCandidate(['', ' ', '\n'][r.index]));
    assert.ok(!isBlankCandidate(' x '));
  });

  it('can reproduce DiffuSeq’s transposed orientation', () => {
    // BLEU(hyp "a b c d e f", ref "a b c") = 0.233766; BLEU(hyp "a b c", ref "a b c d e f") = 0.211795.
    const cands = ['a b c d e f', 'a b c'];
    const ours = mbrSelect(cands);
    close(ours.scores[0], 0.23376641384792204, 1e-15);
    close(ours.scores[1], 0.21179545259066854, 1e-15);
    assert.equal(ours.index, 0);
    const diffuseq = mbrSelect(cands, { orientation: 'diffuseq' });
    close(diffuseq.scores[0], 0.21179545259066854, 1e-15);
    assert.equal(diffuseq.index, 1);
  });

  it('reports the diversity of the set', () => {
    // self-BLEU: pairs (0,1) = 0.431468, (0,2) = (1,2) = 0 ⇒ 0.143823.
    // div-4: abcd, abce, wxyz ⇒ 3/3 = 1. dist-1: every sentence has 4 distinct of 4 ⇒ 1.
    const d = diversityOf(['a b c d', 'a b c e', 'w x y z']);
    close(d.selfBleu, B_ABCD_ABCE / 3, 1e-15);
    assert.equal(d.div4, 1);
    assert.equal(d.dist1, 1);
    assert.deepEqual(diversityOf(['one']), { selfBleu: 0, div4: 0, dist1: 1 });
  });
});
