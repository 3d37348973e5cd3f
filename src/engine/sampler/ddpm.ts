/**
 * The original DiffuSeq samplers, the baseline the benchmarks compare DPM-Solver++ against
 * (Shark-NLP/DiffuSeq diffuseq/gaussian_diffusion.py: `p_sample_loop_progressive`/`p_sample` and
 * `ddim_sample_loop_progressive`/`ddim_sample`, with `SpacedDiffusion`/`space_timesteps` for respacing).
 *
 * Ancestral step at (respaced) index k, with the x0 prediction x̂0 = denoise(x_k, map[k]):
 *   mean = coef1_k·x̂0 + coef2_k·x_k   (the posterior q(x_{k−1} | x_k, x̂0))
 *   x_{k−1} = mean + √var_k · z        (no noise at k = 0)
 * DiffuSeq runs with learn_sigma=False, which gives guided-diffusion's FIXED_LARGE variance
 * var = [posterior_variance[1], β_1, β_2, …] (`p_mean_variance`); 'fixed-small' (the posterior variance) is offered too.
 */
import type { DiscreteVpSchedule } from '../schedule';
import type { Rng } from '../rng';
import { throwIfAborted } from '../errors';
import { allocLike, type Denoise, type FloatArray } from './dpmSolver';

/** Python's round(): ties to even (space_timesteps relies on it). */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * DiffuSeq's `space_timesteps`: which of the T original steps a respaced process keeps, ascending.
 * `sections`: a count (one section), a list of per-section counts, "10,15,20", or "ddimN" (fixed integer stride).
 */
export function spaceTimesteps(T: number, sections: number | readonly number[] | string): number[] {
  let counts: number[];
  if (typeof sections === 'string') {
    if (sections.startsWith('ddim')) {
      const desired = Number.parseInt(sections.slice(4), 10);
      for (let i = 1; i < T; i++) {
        if (Math.ceil(T / i) === desired) {
          const out: number[] = [];
          for (let j = 0; j < T; j += i) out.push(j);
          return out;
        }
      }
      throw new RangeError(`cannot create exactly ${desired} steps with an integer stride`);
    }
    counts = sections.split(',').map((s) => Number.parseInt(s, 10));
  } else {
    counts = typeof sections === 'number' ? [sections] : [...sections];
  }
  const sizePer = Math.floor(T / counts.length);
  const extra = T % counts.length;
  let startIdx = 0;
  const all = new Set<number>();
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`invalid section count ${count}`);
    if (size < count) throw new RangeError(`cannot divide section of ${size} steps into ${count}`);
    const fracStride = count <= 1 ? 1 : (size - 1) / (count - 1);
    // Accumulated by repeated addition, as the Python code does, so rounding picks the same indices.
    let cur = 0.0;
    for (let k = 0; k < count; k++) {
      all.add(startIdx + pyRound(cur));
      cur += fracStride;
    }
    startIdx += size;
  });
  return [...all].sort((a, b) => a - b);
}

/** The respaced process of `SpacedDiffusion`: its betas, ᾱ, and the original index of each of its steps. */
export interface RespacedProcess {
  /** Original timestep index of respaced step k (ascending). */
  timestepMap: number[];
  betas: Float64Array;
  alphasCumprod: Float64Array;
  /** ᾱ of the previous respaced step (1 before the first). */
  alphasCumprodPrev: Float64Array;
  posteriorVariance: Float64Array;
  posteriorMeanCoef1: Float64Array;
  posteriorMeanCoef2: Float64Array;
}

export function respace(schedule: DiscreteVpSchedule, useTimesteps: readonly number[]): RespacedProcess {
  const keep = new Set(useTimesteps);
  const timestepMap: number[] = [];
  const newBetas: number[] = [];
  let last = 1.0;
  for (let i = 0; i < schedule.T; i++) {
    if (keep.has(i)) {
      const ac = schedule.alphasCumprod[i];
      newBetas.push(1 - ac / last);
      last = ac;
      timestepMap.push(i);
    }
  }
  const K = timestepMap.length;
  if (K === 0) throw new RangeError('respacing keeps no timestep');
  const betas = Float64Array.from(newBetas);
  const alphasCumprod = new Float64Array(K);
  const alphasCumprodPrev = new Float64Array(K);
  const posteriorVariance = new Float64Array(K);
  const posteriorMeanCoef1 = new Float64Array(K);
  const posteriorMeanCoef2 = new Float64Array(K);
  let acc = 1;
  for (let k = 0; k < K; k++) {
    alphasCumprodPrev[k] = acc;
    acc *= 1 - betas[k];
    alphasCumprod[k] = acc;
    const prev = alphasCumprodPrev[k];
    posteriorVariance[k] = (betas[k] * (1 - prev)) / (1 - acc);
    posteriorMeanCoef1[k] = (betas[k] * Math.sqrt(prev)) / (1 - acc);
    posteriorMeanCoef2[k] = ((1 - prev) * Math.sqrt(1 - betas[k])) / (1 - acc);
  }
  return { timestepMap, betas, alphasCumprod, alphasCumprodPrev, posteriorVariance, posteriorMeanCoef1, posteriorMeanCoef2 };
}

export interface SamplerStepInfo {
  /** 1-based number of steps done. */
  step: number;
  steps: number;
  /** Original timestep index of the step just done. */
  tIndex: number;
}

interface CommonOptions<A extends FloatArray> {
  /** Respacing as DiffuSeq's timestep_respacing (a count, per-section counts, "a,b,c" or "ddimN"); default: all T. */
  steps?: number | readonly number[] | string;
  /** Mutates in place: called on the initial state, every x0 prediction and the state after every step. */
  anchor?: (x: A) => void;
  signal?: AbortSignal;
  onStep?: (info: SamplerStepInfo) => void;
}

export interface DdpmOptions<A extends FloatArray = Float32Array> extends CommonOptions<A> {
  /** Noise source for the ancestral steps. */
  rng: Rng;
  /** 'fixed-large' (DiffuSeq's, default) or 'fixed-small' (the posterior variance). */
  variance?: 'fixed-large' | 'fixed-small';
}

export type DdimOptions<A extends FloatArray = Float32Array> = CommonOptions<A>;

function processFor(schedule: DiscreteVpSchedule, steps: CommonOptions<FloatArray>['steps']): RespacedProcess {
  const use = steps === undefined ? [...Array(schedule.T).keys()] : spaceTimesteps(schedule.T, steps);
  return respace(schedule, use);
}

/**
 * The loop both samplers share: from x_T down the respaced steps, each asking the network for x̂0 at x_k and
 * taking `update(k, x_k, x̂0)` as x_{k−1}; the anchor is applied to the start, every x̂0 and every new state.
 */
async function respacedLoop<A extends FloatArray>(
  p: RespacedProcess,
  xT: A,
  denoise: Denoise<A>,
  options: CommonOptions<A>,
  update: (k: number, x: A, x0: A) => A,
): Promise<A> {
  const K = p.timestepMap.length;
  const { anchor, signal, onStep } = options;

  throwIfAborted(signal);
  let x = xT.slice() as A;
  anchor?.(x);
  let calls = 0;
  for (let k = K - 1; k >= 0; k--) {
    throwIfAborted(signal);
    const x0 = await denoise(x, p.timestepMap[k], calls++);
    throwIfAborted(signal);
    if (x0.length !== x.length) throw new RangeError(`denoise output: length ${x0.length} ≠ state length ${x.length}`);
    anchor?.(x0);
    x = update(k, x, x0);
    anchor?.(x);
    onStep?.({ step: K - k, steps: K, tIndex: p.timestepMap[k] });
  }
  return x;
}

/** DiffuSeq's ancestral sampler over all T steps, or over a respaced subset. */
export async function ddpmSample<A extends FloatArray>(
  schedule: DiscreteVpSchedule,
  xT: A,
  denoise: Denoise<A>,
  options: DdpmOptions<A>,
): Promise<A> {
  const p = processFor(schedule, options.steps);
  const fixedLarge = (options.variance ?? 'fixed-large') === 'fixed-large';
  const { rng } = options;
  const z = allocLike(xT);
  return respacedLoop(p, xT, denoise, options, (k, x, x0) => {
    const c1 = p.posteriorMeanCoef1[k];
    const c2 = p.posteriorMeanCoef2[k];
    const next = allocLike(x);
    if (k > 0) {
      // FIXED_LARGE uses β_k, except that its first entry is posterior_variance[1]; it is only read for k ≥ 1 here.
      const variance = fixedLarge ? p.betas[k] : p.posteriorVariance[k];
      const sd = Math.sqrt(variance);
      rng.fillGaussian(z);
      for (let i = 0; i < x.length; i++) next[i] = c1 * x0[i] + c2 * x[i] + sd * z[i];
    } else {
      for (let i = 0; i < x.length; i++) next[i] = c1 * x0[i] + c2 * x[i];
    }
    return next;
  });
}

/** Deterministic DDIM (η = 0) over all T steps or a respaced subset; ends with the x0 prediction at index 0. */
export async function ddimSample<A extends FloatArray>(
  schedule: DiscreteVpSchedule,
  xT: A,
  denoise: Denoise<A>,
  options: DdimOptions<A> = {},
): Promise<A> {
  const p = processFor(schedule, options.steps);
  return respacedLoop(p, xT, denoise, options, (k, x, x0) => {
    const ab = p.alphasCumprod[k];
    const abPrev = p.alphasCumprodPrev[k];
    // eps = (√(1/ᾱ)·x − x̂0)/√(1/ᾱ − 1); x_prev = √ᾱ_prev·x̂0 + √(1 − ᾱ_prev)·eps.
    const rA = Math.sqrt(1 / ab);
    const rM1 = Math.sqrt(1 / ab - 1);
    const cPrev = Math.sqrt(abPrev);
    const cEps = Math.sqrt(1 - abPrev);
    const next = allocLike(x);
    for (let i = 0; i < x.length; i++) {
      const eps = (rA * x[i] - x0[i]) / rM1;
      next[i] = cPrev * x0[i] + cEps * eps;
    }
    return next;
  });
}
