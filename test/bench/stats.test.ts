import * as assert from 'node:assert/strict';
import { formatMs, formatSummaryMs, median, quantile, ratioOfSummaries, repeatTimed, sig, summarize } from '../../bench/lib/stats';

describe('bench/stats', () => {
  it('quantile interpolates linearly between order statistics (numpy default)', () => {
    const v = [10, 1, 4, 3, 2, 9, 5, 8, 6, 7]; // 1..10 shuffled
    assert.equal(quantile(v, 0), 1);
    assert.equal(quantile(v, 1), 10);
    assert.equal(quantile(v, 0.5), 5.5);
    assert.ok(Math.abs(quantile(v, 0.95) - 9.55) < 1e-12);
    assert.equal(quantile([7], 0.95), 7);
    assert.equal(median([3, 1, 2]), 2);
    assert.throws(() => quantile([], 0.5), /empty/);
    assert.throws(() => quantile([1], 1.5), /q must be/);
  });

  it('summarize reports median, p95, min, max, mean and the relative spread', () => {
    const s = summarize([100, 110, 90, 105, 95]);
    assert.equal(s.n, 5);
    assert.equal(s.median, 100);
    assert.equal(s.min, 90);
    assert.equal(s.max, 110);
    assert.equal(s.mean, 100);
    assert.ok(Math.abs(s.spread - 0.2) < 1e-12);
    assert.equal(s.noisy, false);
    assert.ok(s.p95 <= s.max && s.p95 >= s.median);
  });

  it('flags a wide min–max spread as noisy, not a single sample', () => {
    assert.equal(summarize([100, 101, 180]).noisy, true);
    assert.equal(summarize([100, 101, 180], 1).noisy, false);
    assert.equal(summarize([100]).noisy, false);
    assert.equal(summarize([0, 0]).spread, 0);
    assert.throws(() => summarize([]), /no samples/);
    assert.throws(() => summarize([1, NaN]), /non-finite/);
  });

  it('ratioOfSummaries gives the median ratio and its bounds', () => {
    const slow = summarize([1000, 1200]);
    const fast = summarize([10, 12, 11]);
    const r = ratioOfSummaries(slow, fast);
    assert.equal(r.ratio, 1100 / 11);
    assert.equal(r.low, 1000 / 12);
    assert.equal(r.high, 1200 / 10);
  });

  it('formats durations and significant digits', () => {
    assert.equal(sig(123.456, 3), 123);
    assert.equal(sig(0.012345, 3), 0.0123);
    assert.equal(sig(98765, 3), 98765);
    assert.equal(formatMs(12.345), '12.3 ms');
    assert.equal(formatMs(1234.5), '1.23 s');
    assert.match(formatSummaryMs(summarize([100, 101, 180])), /noisy/);
    assert.doesNotMatch(formatSummaryMs(summarize([100, 101, 102])), /noisy/);
  });

  it('repeatTimed runs at least minRepeats, then stops at the budget or maxRepeats', async () => {
    let clock = 0;
    const now = () => clock;
    const step = (ms: number) => async (i: number) => {
      clock += ms;
      return i;
    };
    assert.deepEqual(await repeatTimed(step(100), { minRepeats: 3, maxRepeats: 10, budgetMs: 50, now }), [0, 1, 2]);
    clock = 0;
    assert.equal((await repeatTimed(step(10), { minRepeats: 2, maxRepeats: 10, budgetMs: 45, now })).length, 5);
    clock = 0;
    assert.equal((await repeatTimed(step(1), { minRepeats: 2, maxRepeats: 4, budgetMs: 1e9, now })).length, 4);
  });
});
