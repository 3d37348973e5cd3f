import * as assert from 'node:assert/strict';
import { anchorSources, shiftRows, startState, targetIds, targetWindow } from '../../src/engine/batch';
import { Rng } from '../../src/engine/rng';

// V = 4 tokens plus the absorbing row 4, d = 2: row i is [2i, 2i + 1].
const EMB = Float32Array.from({ length: 10 }, (_, i) => i);
const shape = { N: 2, L: 4, d: 2 };

describe('engine/batch', () => {
  it("gaussian start: the clean source, then candidate k's N(0, 1) draws from rng.child(k)", () => {
    const s = startState([{ source: [1, 2], rng: new Rng(7) }], shape, EMB, {
      init: 'gaussian',
      vocabSize: 4,
      alphaBarT: 0.01,
      absorbingRate: 0.5,
    });
    assert.deepEqual([...s.srcLen], [2, 2]);
    for (let k = 0; k < 2; k++) {
      const row = s.xT.subarray(k * 8, k * 8 + 8);
      assert.deepEqual([...row.subarray(0, 4)], [2, 3, 4, 5]);
      assert.deepEqual([...row.subarray(4)], [...new Rng(7).child(k).fillGaussian(new Float32Array(4))]);
      assert.deepEqual([...s.clean.subarray(k * 8, k * 8 + 8)], [2, 3, 4, 5, 0, 0, 0, 0]);
    }
  });

  it('absorbing start: absorbed positions are √ᾱ·e_absorb + √(1−ᾱ)·ε, the draws in the documented order', () => {
    // ᾱ_T = 0.36 and γ = 1.25 make the absorbing probability γ·√(1 − ᾱ) = 1: every target position is absorbed.
    const s = startState([{ source: [3], rng: new Rng(1) }], { N: 1, L: 3, d: 2 }, EMB, {
      init: 'absorbing',
      vocabSize: 4,
      alphaBarT: 0.36,
      absorbingRate: 1.25,
    });
    const r = new Rng(1).child(0);
    const expect = [6, 7];
    for (let p = 1; p < 3; p++) {
      assert.ok(r.uniform() < 1);
      expect.push(0.6 * 8 + 0.8 * r.gaussian(), 0.6 * 9 + 0.8 * r.gaussian());
    }
    assert.deepEqual([...s.xT], [...Float32Array.from(expect)]);
    // γ = 0: nothing absorbed, the target is pure √(1−ᾱ)·ε.
    const g = startState([{ source: [3], rng: new Rng(1) }], { N: 1, L: 2, d: 2 }, EMB, {
      init: 'absorbing',
      vocabSize: 4,
      alphaBarT: 0.36,
      absorbingRate: 0,
    });
    const r2 = new Rng(1).child(0);
    r2.uniform();
    assert.deepEqual([...g.xT.subarray(2)], [...Float32Array.of(0.8 * r2.gaussian(), 0.8 * r2.gaussian())]);
  });

  it('centred start (official forward process): y = x − m, the source its embedding − m, absorbed targets exactly 0', () => {
    // m = row 4 = [8, 9]. ᾱ_T = 0.36, γ = 1.25: every target position is absorbed, so y = 0 there (x = m).
    const s = startState([{ source: [3], rng: new Rng(1) }], { N: 1, L: 3, d: 2 }, EMB, {
      init: 'absorbing',
      vocabSize: 4,
      alphaBarT: 0.36,
      absorbingRate: 1.25,
      centred: true,
    });
    assert.deepEqual([...s.xT], [6 - 8, 7 - 9, 0, 0, 0, 0]);
    assert.deepEqual([...s.clean], [-2, -2, 0, 0, 0, 0]);
    // γ = 0: nothing absorbed, the target is √(1−ᾱ)·ε around m, i.e. y = 0.8·ε, with the same draws as uncentred.
    const g = startState([{ source: [3], rng: new Rng(1) }], { N: 1, L: 2, d: 2 }, EMB, {
      init: 'absorbing',
      vocabSize: 4,
      alphaBarT: 0.36,
      absorbingRate: 0,
      centred: true,
    });
    const r = new Rng(1).child(0);
    r.uniform();
    assert.deepEqual([...g.xT], [...Float32Array.of(-2, -2, 0.8 * r.gaussian(), 0.8 * r.gaussian())]);
    // gaussian init: the target is N(0, 1) in y, the very draws of the uncentred start.
    const u = startState([{ source: [1], rng: new Rng(5) }], { N: 1, L: 2, d: 2 }, EMB, {
      init: 'gaussian',
      vocabSize: 4,
      alphaBarT: 0.01,
      absorbingRate: 0.5,
      centred: true,
    });
    assert.deepEqual([...u.xT.subarray(2)], [...new Rng(5).child(0).fillGaussian(new Float32Array(2))]);
    assert.deepEqual([...u.xT.subarray(0, 2)], [2 - 8, 3 - 9]);
  });

  it('shiftRows adds or subtracts one d-vector at every position, in place', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    assert.equal(shiftRows(x, Float32Array.of(1, -1), -1), x);
    assert.deepEqual([...x], [0, 3, 2, 5, 4, 7]);
    assert.deepEqual([...shiftRows(x, Float32Array.of(1, -1), 1)], [1, 2, 3, 4, 5, 6]);
  });

  it("the anchor writes back each row's source and leaves the target alone", () => {
    const jobs = [
      { source: [1], rng: new Rng(2) },
      { source: [2, 3], rng: new Rng(3) },
    ];
    const s = startState(jobs, { N: 1, L: 3, d: 2 }, EMB, { init: 'gaussian', vocabSize: 4, alphaBarT: 0.01, absorbingRate: 0.5 });
    const x = new Float32Array(12).fill(99);
    anchorSources(x, s, 6, 2);
    assert.deepEqual([...x], [2, 3, 99, 99, 99, 99, 4, 5, 6, 7, 99, 99]);
  });

  it('reads one shared target window and each row from its own target start to [SEP]/[PAD]', () => {
    // Two rows of L = 5, d = 1, sources of 2 and 3 positions: the window starts at 2 (W = 3).
    const srcLen = Int32Array.of(2, 3);
    const x = Float32Array.of(0, 1, 2, 3, 4, 10, 11, 12, 13, 14);
    const w = targetWindow(x, srcLen, { L: 5, d: 1 });
    assert.deepEqual({ minS: w.minS, W: w.W, win: [...w.win] }, { minS: 2, W: 3, win: [2, 3, 4, 12, 13, 14] });
    // Row 0 reads window positions 0..2, row 1 (one position more of source) from 1; sep = 2 and pad = 0 stop.
    const tokens = BigInt64Array.of(7n, 2n, 9n, 5n, 8n, 0n);
    assert.deepEqual(targetIds(tokens, srcLen, w, { sep: 2, pad: 0 }), [[7], [8]]);
    assert.deepEqual(targetIds(Int32Array.of(7, 6, 5, 1, 8, 9), srcLen, w, { sep: 2, pad: 0 }), [
      [7, 6, 5],
      [8, 9],
    ]);
  });

  it('target anchors start clean, are written back by the anchor, and leave the other noise as it was', () => {
    const opts = { init: 'gaussian' as const, vocabSize: 4, alphaBarT: 0.01, absorbingRate: 0.5 };
    const plain = startState([{ source: [1], rng: new Rng(4) }], { N: 1, L: 4, d: 2 }, EMB, opts);
    const s = startState([{ source: [1], rng: new Rng(4), anchors: [{ pos: 1, id: 3 }] }], { N: 1, L: 4, d: 2 }, EMB, opts);
    // Source row 1 = [2, 3] at position 0; target slot 1 (position 2) holds row 3 = [6, 7]; slots 0 and 2 keep their noise.
    assert.deepEqual([...s.xT.subarray(0, 2)], [2, 3]);
    assert.deepEqual([...s.xT.subarray(4, 6)], [6, 7]);
    assert.deepEqual([...s.xT.subarray(2, 4)], [...plain.xT.subarray(2, 4)]);
    assert.deepEqual([...s.xT.subarray(6, 8)], [...plain.xT.subarray(6, 8)]);
    assert.deepEqual(s.fixed, [[2]]);
    const x = new Float32Array(8).fill(99);
    anchorSources(x, s, 8, 2);
    assert.deepEqual([...x], [2, 3, 99, 99, 6, 7, 99, 99]);
    assert.throws(
      () => startState([{ source: [1], rng: new Rng(4), anchors: [{ pos: 3, id: 3 }] }], { N: 1, L: 4, d: 2 }, EMB, opts),
      /target anchor at 3 is outside the 3 target slots/,
    );
  });

  it('anchored tokens overrule rounding, and a [SEP]/[PAD] before the last anchor is skipped instead of ending the row', () => {
    const srcLen = Int32Array.of(1);
    const w = { minS: 1, W: 6 };
    // Rounding said: 7, [SEP], 9, [PAD], 5, [SEP]; the anchor puts 8 at slot 3 (where [PAD] was).
    const tokens = Int32Array.of(7, 2, 9, 0, 5, 2);
    assert.deepEqual(targetIds(tokens, srcLen, w, { sep: 2, pad: 0 }), [[7]]);
    assert.deepEqual(
      targetIds(tokens, srcLen, w, { sep: 2, pad: 0 }, () => [{ pos: 3, id: 8 }]),
      [[7, 9, 8, 5]],
    );
    // An anchor on slot 0 overrules what rounding put there.
    assert.deepEqual(
      targetIds(tokens, srcLen, w, { sep: 2, pad: 0 }, () => [{ pos: 0, id: 4 }]),
      [[4]],
    );
  });
});
