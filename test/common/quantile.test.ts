import * as assert from 'node:assert/strict';
import { quantile, quantileSorted } from '../../src/common/quantile';

describe('common/quantile', () => {
  it('interpolates linearly between order statistics (numpy.percentile, R type 7), by hand', () => {
    // sorted [1, 1, 3, 4, 5]: position (n − 1)·q = 4q.
    const v = [3, 1, 4, 1, 5];
    assert.equal(quantile(v, 0), 1);
    assert.equal(quantile(v, 0.25), 1); // position 1
    assert.equal(quantile(v, 0.5), 3); // position 2
    assert.ok(Math.abs(quantile(v, 0.9) - 4.6) < 1e-12); // position 3.6: 4 + 0.6·(5 − 4)
    assert.ok(Math.abs(quantile(v, 0.99) - 4.96) < 1e-12); // position 3.96
    assert.equal(quantile(v, 1), 5);
    assert.deepEqual(v, [3, 1, 4, 1, 5], 'the input is not sorted in place');
    assert.ok(Math.abs(quantileSorted([10, 20], 0.3) - 13) < 1e-12);
    assert.equal(quantileSorted([7], 0.95), 7);
  });

  it('refuses an empty list and a q outside [0, 1]', () => {
    assert.throws(() => quantile([], 0.5), /quantile of an empty list/);
    assert.throws(() => quantileSorted([], 0.5), /quantile of an empty list/);
    assert.throws(() => quantile([1], 1.5), /q must be in \[0, 1\], got 1\.5/);
    assert.throws(() => quantile([1], NaN), /q must be/);
  });
});
