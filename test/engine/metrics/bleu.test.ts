import * as assert from 'node:assert/strict';
import {
  brevityPenalty,
  closestRefLength,
  corpusBleu,
  diffuseqBleu,
  meanDiffuseqBleu,
  modifiedPrecision,
  pySplit,
  sentenceBleu,
  sentenceBleuText,
  tokenize,
} from '../../../src/engine/metrics/bleu';

const close = (a: number, b: number, tol: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);
const w = (s: string): string[] => s.split(' ').filter(Boolean);

// NLTK's own numbers are matched to ~1e-16: V8's log/exp (fdlibm) and glibc's can differ in the last bit.
const ULP = 1e-15;

describe('engine/metrics/bleu (NLTK sentence_bleu, method4)', () => {
  it('tokenises like DiffuSeq: lowercase, Python str.split()', () => {
    assert.deepEqual(tokenize('  The CAT\tsat\n'), ['the', 'cat', 'sat']);
    assert.deepEqual(tokenize('A b', { lowercase: false }), ['A', 'b']);
    // Python splits on \x1c and \x85 but not on U+FEFF; JS \s does the opposite.
    assert.deepEqual(pySplit('a\x1cb\x85c\ufeffd'), ['a', 'b', 'c\ufeffd']);
  });

  it('matches a hand computation with one smoothed order', () => {
    // hyp "the cat sat on the mat", ref "the cat is on the mat" (6 tokens each ⇒ BP = exp(1 − 6/6) = 1).
    // p1: the×2, cat, on, mat match, sat not ⇒ 5/6. p2: the cat, on the, the mat ⇒ 3/5. p3: on the mat ⇒ 1/4.
    // p4: 0/3 ⇒ method4, first smoothed order (k = 1): 1/(2·5/ln 6)/3 = (ln 6/10)/3 = 0.0597253.
    // BLEU = (5/6 · 3/5 · 1/4 · 0.0597253)^¼ = (0.00746566)^¼ = 0.293946.
    close(sentenceBleu([w('the cat is on the mat')], w('the cat sat on the mat')), 0.293946, 1e-6);
    close(sentenceBleu([w('the cat is on the mat')], w('the cat sat on the mat')), 0.293945703509473, ULP); // NLTK 3.8
  });

  it('counts k only over the smoothed orders', () => {
    // hyp "a b c d e", ref "a b x c y": p1 = 3/5 (a, b, c), p2 = 1/4 (a b), p3 = 0/3, p4 = 0/2.
    // p3 ⇒ (ln 5/(2·5))/3 = 0.160944/3 = 0.0536479 (k = 1); p4 ⇒ (ln 5/(4·5))/2 = 0.0804719/2 = 0.0402359 (k = 2).
    // BLEU = (0.6 · 0.25 · 0.0536479 · 0.0402359)^¼ = (0.000323785)^¼ = 0.134142.
    close(sentenceBleu([w('a b x c y')], w('a b c d e')), 0.134142, 1e-6);
    close(sentenceBleu([w('a b x c y')], w('a b c d e')), 0.13414195051824768, ULP);
  });

  it('clips over several references and takes the closest (shorter on ties) reference length', () => {
    // hyp "a b c", refs "a b c d" and "a b": closest length: |4−3| = |2−3| ⇒ the shorter, 2 < 3 ⇒ BP = 1.
    // p1 = p2 = p3 = 1 (max counts over the references), p4 = 0/max(1, 0) ⇒ (ln 3/10)/1 = 0.109861.
    // BLEU = 0.109861^¼ = 0.575720.
    close(sentenceBleu([w('a b c d'), w('a b')], w('a b c')), 0.57572, 1e-6);
    close(sentenceBleu([w('a b c d'), w('a b')], w('a b c')), 0.5757197301274735, ULP);
    assert.equal(closestRefLength([w('a b c d'), w('a b')], 3), 2);
    assert.equal(
      closestRefLength(
        [
          ['a', 'a'],
          ['a', 'a', 'a', 'a'],
        ],
        3,
      ),
      2,
    );
    assert.deepEqual(modifiedPrecision([w('a a b'), w('a c')], w('a a a c'), 1), [3, 4]);
  });

  it('keeps NLTK’s quirks: no smoothing for a one-token hypothesis, 0 without unigram matches', () => {
    // hyp "a", ref "a b": p1 = 1, p2..p4 = 0 but hyp_len = 1 is not > 1 ⇒ left at 0 and skipped in the mean;
    // BP = exp(1 − 2/1) = e^{−1} ⇒ BLEU = 0.367879.
    close(sentenceBleu([w('a b')], w('a')), Math.exp(-1), ULP);
    assert.equal(sentenceBleu([w('x y')], w('a b')), 0);
    assert.equal(sentenceBleu([w('x y')], []), 0);
    assert.equal(brevityPenalty(5, 0), 0);
  });

  it('reproduces NLTK’s documented examples', () => {
    // nltk/translate/bleu_score.py doctests.
    const hyp1 = w('It is a guide to action which ensures that the military always obeys the commands of the party');
    const hyp2 = w('he read the book because he was interested in world history');
    const ref1a = w('It is a guide to action that ensures that the military will forever heed Party commands');
    const ref1b = w('It is the guiding principle which guarantees the military forces always being under the command of the Party');
    const ref1c = w('It is the practical guide for the army always to heed the directions of the party');
    const ref2a = w('he was interested in world history because he read the book');
    close(sentenceBleu([ref1a, ref1b, ref1c], hyp1, { smoothing: 'method0' }), 0.5045666840058485, ULP); // 0.5045...
    close(sentenceBleu([ref1a, ref1b, ref1c], hyp1), 0.5045666840058485, ULP); // no zero precision: same
    close(corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2]), 0.5920778868801042, ULP); // 0.5920...
    close(corpusBleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2], { weights: [0.1, 0.3, 0.5, 0.1] }), 0.5818765313748497, ULP); // 0.5818...
    const mp = modifiedPrecision([w('the cat is on the mat'), w('there is a cat on the mat')], w('the the the the the the the'), 1);
    close(mp[0] / mp[1], 0.2857142857142857, 0); // 2/7
    close(brevityPenalty(closestRefLength([Array(28).fill('a'), Array(28).fill('a')], 12), 12), 0.2635971381157267, ULP);
  });

  it('keeps DiffuSeq’s argument order in diffuseqBleu', () => {
    // get_bleu(recover, reference) = sentence_bleu([recover], reference): recover "a b c d e f", reference "a b c":
    // hypothesis "a b c" vs reference of 6: p1..p3 = 1, p4 = 0/1 ⇒ ln 3/10; BP = exp(1 − 6/3) = e^{−1}
    // ⇒ e^{−1}·0.109861^¼ = 0.367879·0.575720 = 0.211795.
    close(diffuseqBleu('a b c d e f', 'a b c'), 0.21179545259066854, ULP);
    // The other orientation: hypothesis of 6 vs reference of 3: p = 3/6, 2/5, 1/4, (ln 6/10)/3; BP = 1
    // ⇒ (0.5·0.4·0.25·0.0597253)^¼ = 0.233766.
    close(sentenceBleuText('a b c d e f', 'a b c'), 0.23376641384792204, ULP);
    close(meanDiffuseqBleu(['a b c d e f', 'x'], ['a b c', 'y']), 0.21179545259066854 / 2, ULP);
    // Case is folded before splitting.
    close(diffuseqBleu('The Cat', 'the cat'), diffuseqBleu('the cat', 'the cat'), 0);
  });
});
