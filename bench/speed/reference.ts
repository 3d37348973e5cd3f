/**
 * Section 2 of the speed run: DPM-Solver++ against DiffuSeq's own T-step sampler, interleaved in one worker.
 */
import { num } from '../lib/args';
import type { modelInfo } from '../lib/engine';
import { runInWorker } from '../lib/fork';
import type { GridSpec } from '../lib/grid';
import type { ReferenceReply } from '../lib/jobs';
import { log } from '../lib/log';
import type { SpeedResult } from '../lib/schema';
import { formatSummaryMs, ratioOfSummaries } from '../lib/stats';
import type { SpeedContext } from './context';

/** 2. The DDPM reference: DPM-Solver++ against DiffuSeq's T-step sampler on the default point. */
export async function measureReference(
  ctx: SpeedContext,
  spec: GridSpec,
  model: ReturnType<typeof modelInfo>,
  ddpmTimeoutMs: number,
): Promise<SpeedResult['reference']> {
  const { args, base, quick, verbose, notes } = ctx;
  const { warmup, minRepeats } = ctx.repeats;
  let reference: SpeedResult['reference'];
  const d = spec.default;
  const ddpmRepeats = num(args, 'ddpm-repeats', 1, { integer: true, min: 1 });
  const refC = num(args, 'reference-candidates', quick ? 1 : d.candidates, { integer: true, min: 1 });
  log(
    `reference: ${d.words} words, ${refC} candidates: DPM-Solver++ ${d.steps} steps vs DDPM ${model.diffusionSteps ?? 'T'} steps × ${ddpmRepeats} …`,
  );
  try {
    const r = await runInWorker<ReferenceReply>(
      {
        type: 'reference',
        ...base,
        words: d.words,
        candidates: refC,
        steps: d.steps,
        warmup,
        dpmRepeatsPerBlock: Math.max(2, Math.ceil(minRepeats / 2)),
        ddpmRepeats,
      },
      { timeoutMs: ddpmTimeoutMs, verbose },
    );
    if (model.diffusionSteps) r.ddpm.steps = model.diffusionSteps;
    reference = {
      words: d.words,
      candidates: refC,
      dpm: r.dpm,
      ddpm: r.ddpm,
      speedup: ratioOfSummaries(r.ddpm.wallMs, r.dpm.wallMs),
      speedupCpu: ratioOfSummaries(r.ddpm.cpuMs, r.dpm.cpuMs),
    };
    const x = (v: { ratio: number; low: number; high: number }) => `×${v.ratio.toFixed(1)} (×${v.low.toFixed(1)}–×${v.high.toFixed(1)})`;
    log(
      `reference: DPM ${formatSummaryMs(r.dpm.wallMs)}; DDPM ${formatSummaryMs(r.ddpm.wallMs)}; speed-up ${x(reference.speedup)}, by CPU time ${x(reference.speedupCpu!)}`,
    );
  } catch (e) {
    notes.push(`DDPM reference failed: ${(e as Error).message.split('\n')[0]}`);
    log(`reference FAILED: ${(e as Error).message}`);
  }

  return reference;
}
