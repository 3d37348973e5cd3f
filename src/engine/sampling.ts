/**
 * One sampling batch: every candidate of some jobs of the same L, from x_T through the sampler (DPM-Solver++ or
 * DDPM, with the denoiser) to rounded ids and each candidate's text. The typed-array work is batch.ts's; the hooks
 * here are the ones the model asks for (sampling centred on the absorbing vector, row-wise DDPM noise).
 */
import { performance } from 'node:perf_hooks';
import { anchorSources, shiftRows, startState, targetIds, targetWindow } from './batch';
import { denoiserCall, type Denoiser } from './denoiser';
import { renderRow, type Job } from './jobs';
import { forwardProcessOf, type ModelManifest } from './manifest';
import type { ResolvedOptions } from './options';
import { rowwiseRng } from './rng';
import { constrainRow, scoreInventedPositions, type Rounding } from './rounding';
import { ddpmSample } from './sampler/ddpm';
import { dpmSolverPlusPlus } from './sampler/dpmSolver';
import type { DiscreteVpSchedule } from './schedule';
import type { EngineTokenizer } from './tokenizer';
import type { Lexicon, PieceTable } from './wordList';

/** Milliseconds spent in the network, the sampler's own arithmetic, and rounding. */
export interface Clock {
  network: number;
  solver: number;
  rounding: number;
}

/** What a batch is sampled with: the model's parts. */
export interface SamplingModel {
  manifest: ModelManifest;
  /** The (vocabSize + 1) × dim embedding matrix (row V: the absorbing state). */
  embeddings: Float32Array;
  schedule: DiscreteVpSchedule;
  denoiser: Denoiser;
  rounding: Rounding;
  tokenizer: EngineTokenizer;
  pieceTable: PieceTable;
  /** The package's word list; undefined for a package without one (then no word constraint). */
  lexicon?: Lexicon;
}

/** Samples every candidate of `jobs` (all of the same L) in one batch: each job's N texts, and the time spent. */
export async function sampleJobs(
  model: SamplingModel,
  jobs: Job[],
  o: ResolvedOptions,
  signal: AbortSignal | undefined,
  onStep: (step: number, steps: number) => void,
): Promise<{ outputs: (string | null)[][]; fixes: Job['fixes'][]; clock: Clock }> {
  const m = model.manifest;
  const { schedule, embeddings } = model;
  const shape = { N: o.candidates, L: jobs[0].L, d: m.embedding.dim };
  const { N, L, d } = shape;
  const B = jobs.length * N;
  const rowLen = L * d;
  const clock: Clock = { network: 0, solver: 0, rounding: 0 };

  // A model trained with the official forward process is sampled centred on its absorbing vector m: the solver
  // runs on y = x − m (batch.ts startState), the network sees y + m and its x0 comes back as x0 − m.
  const centre =
    forwardProcessOf(m) === 'official' ? embeddings.subarray(m.embedding.absorbingRow * d, (m.embedding.absorbingRow + 1) * d) : undefined;
  const start = startState(jobs, shape, embeddings, {
    init: o.noiseInit,
    vocabSize: m.embedding.vocabSize,
    alphaBarT: schedule.alphasCumprod[schedule.T - 1],
    absorbingRate: m.diffusion.absorbingRate,
    centred: centre !== undefined,
  });
  const anchor = (x: Float32Array): void => anchorSources(x, start, rowLen, d);
  const network = denoiserCall(model.denoiser, m, start.srcLen, shape, clock);
  const denoise = centre
    ? async (y: Float32Array, tIndex: number): Promise<Float32Array> =>
        shiftRows(Float32Array.from(await network(shiftRows(Float32Array.from(y), centre, 1), tIndex)), centre, -1)
    : network;

  const tSample = performance.now();
  let x: Float32Array;
  if (o.sampler === 'dpm') {
    x = await dpmSolverPlusPlus(schedule, start.xT, denoise, {
      steps: o.steps,
      order: o.order,
      skipType: 'time_uniform',
      variant: o.solverVariant,
      anchor,
      signal,
      onStep: (s) => onStep(s.step, s.steps),
    });
  } else {
    // Each candidate row draws DDPM's noise from its own stream: its job's 'ddp1' stream, child k.
    const rows = jobs.flatMap((j) => {
      const stream = j.rng.child(0x64647031 /* 'ddp1' */);
      return Array.from({ length: N }, (_, k) => stream.child(k));
    });
    x = await ddpmSample(schedule, start.xT, denoise, {
      steps: o.steps === schedule.T ? undefined : o.steps,
      rng: rowwiseRng(rows, rowLen),
      anchor,
      signal,
      onStep: (s) => onStep(s.step, s.steps),
    });
  }
  clock.solver += performance.now() - tSample - clock.network;
  if (centre) shiftRows(x, centre, 1);

  // Rounding once, on the target window shared by all rows.
  const tRound = performance.now();
  const window = targetWindow(x, start.srcLen, shape);
  const tokens = await model.rounding.tokens(window.win, B, window.W);
  const ids = targetIds(tokens, start.srcLen, window, m.tokens, (r) => jobs[Math.floor(r / N)].anchors);
  const fixes: Job['fixes'][] = jobs.map(() => []);
  const lexicon = model.lexicon;
  const words = o.constrain && lexicon ? jobs.map((job) => lexicon.with(job.sourceWords)) : undefined;
  const scores = words
    ? await scoreInventedPositions(
        model.rounding,
        ids,
        (r) => words[Math.floor(r / N)],
        (r) => (r * window.W + start.srcLen[r] - window.minS) * d,
        window.win,
        { pieceTable: model.pieceTable, vocabSize: m.embedding.vocabSize, dim: d },
      )
    : undefined;
  // Rounded ids → real words and no stutter (constrainRow) → the text, spans restored and copied words as written.
  const outputs = jobs.map((job, j) =>
    ids.slice(j * N, (j + 1) * N).map((row, k) => {
      const fixed = o.constrain ? constrainRow(row, job.sourceWords, words?.[j], scores?.[j * N + k], model.pieceTable) : undefined;
      fixes[j].push({ replaced: fixed?.replaced ?? 0, collapsed: fixed?.collapsed ?? 0 });
      return renderRow(fixed?.ids ?? row, job, model.tokenizer);
    }),
  );
  clock.rounding += performance.now() - tRound;
  return { outputs, fixes, clock };
}
