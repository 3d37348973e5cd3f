/**
 * The report of `diffuseq prepare`: length statistics of the source and target parts (before truncation),
 * per-part counts (tokens, unknown tokens, truncations, over-budget targets) and the lines printed at the end.
 */
import { quantileSorted } from '../../common/quantile';
import type { LengthStats, PartReport, PrepareMeta } from './meta';

/**
 * p50/p90/p99 by the project's one quantile (src/common/quantile.ts, linear interpolation), rounded to 2 decimals
 * like the mean; an empty part has all zeros.
 */
export function lengthStats(values: readonly number[]): LengthStats {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  const q = (p: number) => (s.length ? round2(quantileSorted(s, p)) : 0);
  return {
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: s.length ? s[s.length - 1] : 0,
    mean: round2(mean),
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** The counts of one part (a dataset's split, or a whole split) while it is encoded. */
export interface PartAccumulator {
  srcRaw: number[];
  trgRaw: number[];
  tokens: number;
  unknown: number;
  truncatedSources: number;
  truncatedTargets: number;
  overBudget: number;
}

export function newAcc(): PartAccumulator {
  return { srcRaw: [], trgRaw: [], tokens: 0, unknown: 0, truncatedSources: 0, truncatedTargets: 0, overBudget: 0 };
}

export function finishAcc(a: PartAccumulator): PartReport {
  return {
    pairs: a.srcRaw.length,
    tokens: a.tokens,
    unknownTokens: a.unknown,
    unknownRate: a.tokens ? a.unknown / a.tokens : 0,
    sourceLength: lengthStats(a.srcRaw),
    targetLength: lengthStats(a.trgRaw),
    truncatedSources: a.truncatedSources,
    truncatedTargets: a.truncatedTargets,
    overBudget: a.overBudget,
  };
}

function fmtLen(s: LengthStats): string {
  return `p50 ${s.p50} p90 ${s.p90} p99 ${s.p99} max ${s.max}`;
}

function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatReport(meta: PrepareMeta): string[] {
  const r = meta.report;
  const lines: string[] = [];
  lines.push(
    `prepared: ${meta.splits.train.examples} train / ${meta.splits.valid.examples} valid examples, vocabulary ${meta.vocabSize} (${meta.tokenDtype})`,
  );
  for (const d of r.datasets) {
    lines.push(
      `  ${d.name.padEnd(12)} ${d.task.padEnd(10)} train ${String(d.pairs).padStart(7)}  valid ${String(d.validPairs).padStart(6)}  licence: ${d.licence}`,
    );
    lines.push(
      `    source len ${fmtLen(d.train.sourceLength)} | target len ${fmtLen(d.train.targetLength)} | unk ${(d.train.unknownRate * 100).toFixed(3)}% | truncated src ${d.train.truncatedSources} trg ${d.train.truncatedTargets} | over budget ${d.train.overBudget}`,
    );
  }
  for (const split of ['train', 'valid'] as const) {
    const p = r[split];
    lines.push(
      `  ${split}: ${p.tokens} tokens, unk ${(p.unknownRate * 100).toFixed(3)}%, source len ${fmtLen(p.sourceLength)}, target len ${fmtLen(p.targetLength)}, truncated src ${p.truncatedSources} trg ${p.truncatedTargets}, over budget ${p.overBudget}`,
    );
  }
  lines.push(
    `  files: ${Object.entries(r.bytes)
      .map(([k, v]) => `${k} ${fmtBytes(v)}`)
      .join(', ')}`,
  );
  lines.push(
    `  time: ${r.seconds.total.toFixed(2)}s (read ${r.seconds.read.toFixed(2)}s, tokenizer ${r.seconds.tokenizer.toFixed(2)}s, encode ${r.seconds.encode.toFixed(2)}s, write ${r.seconds.write.toFixed(2)}s)`,
  );
  return lines;
}
