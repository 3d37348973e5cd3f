import * as assert from 'node:assert/strict';
import { Rng, rowwiseRng } from '../../src/engine/rng';

describe('engine/rng', () => {
  it('repeats a stream for the same seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 100 }, () => a.nextUint32());
    const xb = Array.from({ length: 100 }, () => b.nextUint32());
    const xc = Array.from({ length: 100 }, () => c.nextUint32());
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
    assert.ok(xa.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
  });

  it('is pinned: the first outputs for seed 0 never change', () => {
    // Recorded from this implementation; a change here would silently change every seeded rewrite.
    const r = new Rng(0);
    const got = [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    const again = new Rng(0);
    assert.deepEqual([again.nextUint32(), again.nextUint32(), again.nextUint32()], got);
    assert.deepEqual(got, PINNED_SEED0);
  });

  it('rowwiseRng fills each row from its own stream, whatever the other rows are', () => {
    const rows = () => [new Rng(1), new Rng(2).child(3)];
    const r = rowwiseRng(rows(), 3);
    const first = r.fillGaussian(new Float32Array(6));
    const second = r.fillGaussian(new Float32Array(6));
    const [a, b] = rows();
    const expect = (x: Rng, y: Rng) => Float32Array.from([...x.gaussianArray(3), ...y.gaussianArray(3)]);
    assert.deepEqual(first, expect(a, b));
    // The streams go on where they stopped.
    assert.deepEqual(second, expect(a, b));
    // Row 0 alone: the same numbers as row 0 of the pair.
    assert.deepEqual(rowwiseRng([new Rng(1)], 3).fillGaussian(new Float32Array(3)), first.subarray(0, 3));
  });

  it('gives children streams that depend only on (seed, index)', () => {
    const parent = new Rng(7);
    const c1 = parent.child(1).gaussianArray(16);
    parent.gaussianArray(1000); // consuming the parent must not move its children
    assert.deepEqual(parent.child(1).gaussianArray(16), c1);
    assert.notDeepEqual(parent.child(2).gaussianArray(16), c1);
    assert.notDeepEqual(new Rng(8).child(1).gaussianArray(16), c1);
    // Grandchildren are streams of their own too.
    assert.notDeepEqual(parent.child(1).child(0).gaussianArray(16), parent.child(0).child(1).gaussianArray(16));
  });

  it('forks from the current position', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    assert.deepEqual(a.fork().gaussianArray(8), b.fork().gaussianArray(8));
    assert.notDeepEqual(a.fork().gaussianArray(8), new Rng(5).fork().gaussianArray(8));
  });

  it('draws uniforms in [0, 1) with mean ½ and variance 1/12', () => {
    const r = new Rng(1);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1);
      s += u;
      s2 += u * u;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    // Standard errors: √(1/12/n) ≈ 9.1e-4 for the mean; the variance's ≈ 2.7e-4 (Var(U²) ≈ 0.0056…); 5σ bounds.
    assert.ok(Math.abs(mean - 0.5) < 5 * 9.1e-4, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 5 * 2.7e-4, `variance ${variance}`);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    }
  });

  it('draws Gaussians with the right mean, variance and tails', () => {
    const x = new Rng(2024).fillGaussian(new Float64Array(200_000), 3, 2);
    let s = 0;
    let s2 = 0;
    let beyond2 = 0;
    for (const v of x) {
      s += v;
      s2 += v * v;
      if (Math.abs(v - 3) > 4) beyond2++;
    }
    const n = x.length;
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    // SE(mean) = 2/√n ≈ 4.5e-3; SE(variance) = 4·√(2/n) ≈ 1.26e-2; P(|Z| > 2) = 0.0455 with SE ≈ 4.7e-4.
    assert.ok(Math.abs(mean - 3) < 5 * 4.5e-3, `mean ${mean}`);
    assert.ok(Math.abs(variance - 4) < 5 * 1.26e-2, `variance ${variance}`);
    assert.ok(Math.abs(beyond2 / n - 0.0455) < 5 * 4.7e-4, `tail ${beyond2 / n}`);
    const f = new Rng(1).gaussianArray(5);
    assert.ok(f instanceof Float32Array && f.length === 5);
  });

  it('rejects bad seeds and indices', () => {
    assert.throws(() => new Rng(1.5), RangeError);
    assert.throws(() => new Rng(Number.NaN), RangeError);
    assert.throws(() => new Rng(1).child(-1), RangeError);
    // Any safe integer, negative included, is a valid seed.
    assert.doesNotThrow(() => new Rng(-1).uniform());
    assert.doesNotThrow(() => new Rng(Number.MAX_SAFE_INTEGER).uniform());
  });
});

const PINNED_SEED0 = [1336360352, 331261802, 3018368132];
