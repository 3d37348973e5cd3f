import * as assert from 'node:assert/strict';
import { lcsLength, meanRougeL, rougeL, rougeTokenize } from '../../../src/engine/metrics/rouge';

const close = (a: number, b: number, tol: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

describe('engine/metrics/rouge (torchmetrics ROUGEScore rougeL)', () => {
  it('tokenises like rouge-score: lowercase, runs outside [a-z0-9] become spaces', () => {
    assert.deepEqual(rougeTokenize("Hello, World! it's 2024-01"), ['hello', 'world', 'it', 's', '2024', '01']);
    assert.deepEqual(rougeTokenize('Café naïve'), ['caf', 'na', 've']);
    assert.deepEqual(rougeTokenize(' ... '), []);
  });

  it('computes the LCS', () => {
    assert.equal(lcsLength(['a', 'b', 'c', 'd'], ['b', 'd', 'e']), 2);
    assert.equal(lcsLength(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a']), 4); // CLRS: "bcba"
    assert.equal(lcsLength([], ['a']), 0);
  });

  it('matches hand-computed ROUGE-L F', () => {
    // "The cat sat on the mat." vs "the cat is on the mat": LCS "the cat on the mat" = 5; P = R = 5/6 ⇒ F = 0.833333.
    const r = rougeL('The cat sat on the mat.', 'the cat is on the mat');
    close(r.precision, 5 / 6, 1e-15);
    close(r.recall, 5 / 6, 1e-15);
    close(r.fmeasure, 5 / 6, 1e-15);
    // "a b c d" vs "b d e": LCS = 2, P = 1/2, R = 2/3, F = 2·(1/2)(2/3)/(1/2 + 2/3) = (2/3)/(7/6) = 4/7 = 0.571429.
    close(rougeL('a b c d', 'b d e').fmeasure, 4 / 7, 1e-15);
    assert.equal(rougeL('', 'a b').fmeasure, 0);
    assert.equal(rougeL('x y', 'a b').fmeasure, 0);
    close(meanRougeL(['a b c d', 'x'], ['b d e', 'y']), 2 / 7, 1e-15);
  });

  it('combines several references by max, or by torchmetrics’ rouge1-best', () => {
    // pred "a b c d"; ref1 "d c b a": LCS 1 ⇒ F = 2·(1/4)(1/4)/(1/2) = 0.25, but rouge1 F = 1 (all 4 unigrams);
    // ref2 "a b x": LCS 2 ⇒ P = 1/2, R = 2/3 ⇒ F = 4/7; rouge1 F = 4/7 too.
    close(rougeL('a b c d', ['d c b a', 'a b x']).fmeasure, 4 / 7, 1e-15);
    // torchmetrics picks the reference with the best rouge1 F (ref1) and reports its rougeL.
    close(rougeL('a b c d', ['d c b a', 'a b x'], { multiReference: 'torchmetrics-best' }).fmeasure, 0.25, 1e-15);
  });
});
