/**
 * Pure aggregation of worker results: pooling the rounds of one configuration and the overhead verdict.
 */
import { ConfigResult, OVERHEAD_TARGET, Stage, STAGES } from './schema';
import { median, summarize } from './stats';

/** Pools the samples of the same configuration measured by several workers (`--rounds`). */
export function mergeRounds(rounds: ConfigResult[], noisySpread: number): ConfigResult {
  if (rounds.length === 0) {
    throw new Error('mergeRounds: nothing to merge');
  }
  if (rounds.length === 1) {
    return rounds[0];
  }
  const first = rounds[0];
  for (const r of rounds) {
    if (r.id !== first.id) {
      throw new Error(`mergeRounds: ${r.id} is not ${first.id}`);
    }
  }
  const cat = (k: keyof ConfigResult['samples']) => rounds.flatMap((r) => r.samples[k]);
  const stagesMs = {} as Record<Stage, number>;
  for (const s of STAGES) {
    stagesMs[s] = median(rounds.map((r) => r.stagesMs[s]));
  }
  const overhead = cat('overhead');
  const warnings = [...new Set(rounds.flatMap((r) => r.warnings ?? []))];
  return {
    ...first,
    wallMs: summarize(cat('wallMs'), noisySpread),
    cpuMs: summarize(cat('cpuMs'), noisySpread),
    overhead: summarize(overhead.length > 0 ? overhead : [0], Infinity),
    stagesMs,
    loadMs: median(rounds.map((r) => r.loadMs)),
    rss: {
      baselineMiB: median(rounds.map((r) => r.rss.baselineMiB)),
      afterLoadMiB: median(rounds.map((r) => r.rss.afterLoadMiB)),
      peakMiB: Math.max(...rounds.map((r) => r.rss.peakMiB)),
    },
    samples: {
      wallMs: cat('wallMs'),
      cpuMs: cat('cpuMs'),
      overhead,
      network: cat('network'),
      total: cat('total'),
    },
    workers: rounds.reduce((a, r) => a + (r.workers ?? 1), 0),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** The overhead verdict: median overhead at the default configuration and the worst configuration. */
export function overheadVerdict(
  configs: ConfigResult[],
  defaultId: string,
  target = OVERHEAD_TARGET,
): {
  target: number;
  atDefault: number;
  worst: number;
  worstId: string;
  pass: boolean;
} {
  if (configs.length === 0) {
    throw new Error('overheadVerdict: no configurations');
  }
  const d = configs.find((c) => c.id === defaultId) ?? configs[0];
  let worst = configs[0];
  for (const c of configs) {
    if (c.overhead.median > worst.overhead.median) worst = c;
  }
  return { target, atDefault: d.overhead.median, worst: worst.overhead.median, worstId: worst.id, pass: d.overhead.median <= target };
}
