import * as assert from 'node:assert/strict';
import { dist1, distinctNgramRatio, distinctNgramsOfSet, div4, meanDist1, selfBleu } from '../../../src/engine/metrics/diversity';

const close = (a: number, b: number, tol: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

describe('engine/metrics/diversity (DiffuSeq eval_seq2seq.py)', () => {
  it('dist-1: distinct unigrams over unigrams per sentence', () => {
    // "the cat and the dog": 5 unigrams, 4 distinct ⇒ 0.8.
    close(dist1('The cat and the dog'), 0.8, 1e-15);
    assert.equal(dist1(''), 0);
    // Per-sentence mean: (0.8 + 1 + 0)/3 = 0.6.
    close(meanDist1(['the cat and the dog', 'a b', '']), 0.6, 1e-15);
    assert.equal(distinctNgramRatio(['a', 'a', 'a'], 2), 0.5); // bigrams a a, a a ⇒ 1 distinct of 2
  });

  it('div-4: distinct 4-grams over all 4-grams of the set', () => {
    // "a b c d e" ⇒ abcd, bcde; "a b c d f" ⇒ abcd, bcdf: 4 in all, 3 distinct ⇒ 0.75.
    close(div4(['a b c d e', 'a b c d f']), 0.75, 1e-15);
    assert.equal(div4(['a b c', 'd']), 0); // no 4-gram at all
    close(distinctNgramsOfSet(['a b', 'a c'], 1), 3 / 4, 1e-15);
  });

  it('self-BLEU: mean over pairs i < j of BLEU(hyp s_j, ref s_i)', () => {
    // (0,1) identical 3-token sentences: p1..p3 = 1, p4 = 0/1 ⇒ (ln 3/10)^¼ = 0.575720 (not 1: method4 on 3 tokens);
    // (0,2) and (1,2) share no unigram ⇒ 0. Mean = 0.575720/3 = 0.191907.
    close(selfBleu(['a b c', 'a b c', 'x y z']), 0.5757197301274735 / 3, 1e-15);
    assert.equal(selfBleu(['only one']), 0);
    assert.equal(selfBleu([]), 0);
    // Orientation: pair (0,1) is scored with s1 as the hypothesis: hyp "a b c" vs ref "a b c d e f" = 0.211795.
    close(selfBleu(['a b c d e f', 'a b c']), 0.21179545259066854, 1e-15);
  });
});
