/**
 * Section 1 of the speed run: the latency grid (bench/lib/grid.ts), every configuration in a fresh worker.
 */
import { mergeRounds } from '../lib/aggregate';
import { runInWorker } from '../lib/fork';
import type { buildGrid } from '../lib/grid';
import type { LatencyReply } from '../lib/jobs';
import { log } from '../lib/log';
import type { ConfigResult } from '../lib/schema';
import { formatMs, formatSummaryMs } from '../lib/stats';
import type { SpeedContext } from './context';

/** 1. The latency grid: every configuration in a fresh worker, `rounds` times, pooled. */
export async function measureLatencyGrid(ctx: SpeedContext, grid: ReturnType<typeof buildGrid>): Promise<ConfigResult[]> {
  const { base, timeoutMs, verbose, noisySpread, notes } = ctx;
  const { warmup, minRepeats, maxRepeats, budgetS, rounds } = ctx.repeats;
  const configs: ConfigResult[] = [];
  const failures: string[] = [];
  const total = grid.length * rounds;
  let done = 0;
  const perPoint = new Map<string, ConfigResult[]>();
  for (let round = 0; round < rounds; round++) {
    // Later rounds go through the grid in reverse so slow drifts of the machine's load do not line up with an axis.
    const order = round % 2 === 0 ? grid : [...grid].reverse();
    for (const p of order) {
      done++;
      try {
        const reply = await runInWorker<LatencyReply>(
          {
            type: 'latency',
            ...base,
            id: p.id,
            axes: p.axes,
            words: p.words,
            candidates: p.candidates,
            steps: p.steps,
            warmup,
            minRepeats,
            maxRepeats,
            budgetMs: budgetS * 1000,
          },
          { timeoutMs, verbose },
        );
        const list = perPoint.get(p.id) ?? [];
        list.push(reply.config);
        perPoint.set(p.id, list);
        const cfg = reply.config;
        log(
          `[${done}/${total}] ${p.id.padEnd(12)} ${formatSummaryMs(cfg.wallMs)}  overhead ${(cfg.overhead.median * 100).toFixed(1)} %  ` +
            `load ${formatMs(cfg.loadMs)}  peak RSS ${cfg.rss.peakMiB} MiB${cfg.segments > 1 ? `  ${cfg.segments} segments` : ''}`,
        );
      } catch (e) {
        failures.push(`${p.id}: ${(e as Error).message.split('\n')[0]}`);
        log(`[${done}/${total}] ${p.id} FAILED: ${(e as Error).message}`);
      }
    }
  }
  for (const p of grid) {
    const list = perPoint.get(p.id);
    if (list) configs.push(mergeRounds(list, noisySpread));
  }
  if (configs.length === 0) {
    throw new Error(`every latency configuration failed:\n  ${failures.join('\n  ')}`);
  }
  if (failures.length > 0) notes.push(`failed configurations: ${failures.join('; ')}`);

  return configs;
}
