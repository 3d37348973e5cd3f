/**
 * The one quantile of the project: linear interpolation between order statistics (Hyndman & Fan type 7, the
 * default of numpy's `percentile` and R's `quantile`). Chosen over nearest-rank because it is continuous in q and
 * in the data (a figure moves a little when one sample moves a little, rather than jumping to the next sample) and
 * because anyone can check a reported figure with `numpy.percentile`. Used by the benchmarks' timing summaries and
 * by `prepare`'s length statistics. Pure; no imports.
 */

/** The q-quantile (0 ≤ q ≤ 1) of values already sorted ascending. Throws on an empty list or a q outside [0, 1]. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) {
    throw new Error('quantile of an empty list');
  }
  if (!(q >= 0 && q <= 1)) {
    throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  }
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The q-quantile (0 ≤ q ≤ 1) of `values` in any order (sorted here). Throws on an empty list or a q outside [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}
