/**
 * Statistics of repeated timings. The benchmark machine is usually shared and noisy, so every figure is a
 * median with its p95 and min–max, and a summary whose relative spread is wide is flagged instead of hidden.
 */
import { quantile } from '../../src/common/quantile';

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  /** 95th percentile (linear interpolation between order statistics, src/common/quantile.ts; near the max for few runs). */
  p95: number;
  min: number;
  max: number;
  mean: number;
  /** (max − min) / median: 0 for a perfectly steady measurement. */
  spread: number;
  /** True when `spread` is above the threshold the summary was made with: treat the figure as noisy. */
  noisy: boolean;
}

/** Relative min–max spread above which a summary is flagged as noisy (50 %: the slowest run took 1.5× the fastest). */
export const DEFAULT_NOISY_SPREAD = 0.5;

// The one quantile (linear interpolation, numpy's default) lives in src/common/quantile.ts; prepare's report uses it too.
export { quantile };

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Summary of `values` (non-empty, finite); `noisySpread` is the relative spread from which it is flagged. */
export function summarize(values: readonly number[], noisySpread = DEFAULT_NOISY_SPREAD): Summary {
  if (values.length === 0) {
    throw new Error('summarize: no samples');
  }
  for (const v of values) {
    if (!Number.isFinite(v)) {
      throw new Error(`summarize: non-finite sample ${v}`);
    }
  }
  const med = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const spread = med > 0 ? (max - min) / med : max === min ? 0 : Infinity;
  return {
    n: values.length,
    median: med,
    p95: quantile(values, 0.95),
    min,
    max,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    spread,
    noisy: values.length > 1 && spread > noisySpread,
  };
}

/**
 * Ratio of two medians (e.g. the DDPM/DPM speed-up), with the bounds it can take given both min–max ranges:
 * `low` = a.min / b.max, `high` = a.max / b.min. A wide [low, high] means the ratio is noisy.
 */
export function ratioOfSummaries(a: Summary, b: Summary): { ratio: number; low: number; high: number } {
  return { ratio: a.median / b.median, low: a.min / b.max, high: a.max / b.min };
}

/** Rounds to `digits` significant digits (for tables); keeps integers above that precision as they are. */
export function sig(x: number, digits = 3): number {
  if (x === 0 || !Number.isFinite(x)) {
    return x;
  }
  const p = Math.pow(10, digits - Math.ceil(Math.log10(Math.abs(x))));
  return p >= 1 ? Math.round(x * p) / p : Math.round(x);
}

/** "123 ms" / "1.23 s" for a millisecond duration. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) {
    return String(ms);
  }
  if (Math.abs(ms) >= 1000) {
    return `${sig(ms / 1000, 3)} s`;
  }
  return `${sig(ms, 3)} ms`;
}

/** "median (p95 …, min–max …)" for a millisecond summary; appends "noisy" when the summary is flagged. */
export function formatSummaryMs(s: Summary): string {
  const base = `${formatMs(s.median)} (p95 ${formatMs(s.p95)}, ${formatMs(s.min)}–${formatMs(s.max)}, n=${s.n})`;
  return s.noisy ? `${base} ⚠ noisy` : base;
}

/** Samples with adaptive repeats: runs `fn` until `minRepeats` are done and then until `maxRepeats` or `budgetMs`. */
export async function repeatTimed<T>(
  fn: (i: number) => Promise<T>,
  opts: { minRepeats: number; maxRepeats: number; budgetMs: number; now?: () => number },
): Promise<T[]> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const out: T[] = [];
  for (let i = 0; i < opts.maxRepeats; i++) {
    if (i >= opts.minRepeats && now() - start >= opts.budgetMs) {
      break;
    }
    out.push(await fn(i));
  }
  return out;
}
