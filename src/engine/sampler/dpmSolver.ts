/**
 * Multistep DPM-Solver++ (Lu et al. 2022, arXiv 2211.01095) for an x0-predicting model, following
 * `DPM_Solver.sample(method='multistep', algorithm_type='dpmsolver++', solver_type='dpmsolver')` of
 * LuChengTHU/dpm-solver (dpm_solver_pytorch.py), without thresholding or correctors and with
 * `denoise_to_zero=False`, i.e. the result is the state x at t_end (not a further x0 prediction).
 *
 * All coefficients are computed in float64; the state keeps the caller's array type (Float32Array for the
 * engine, Float64Array for accuracy tests).
 */
import { throwIfAborted } from '../errors';
import { SOLVER_VARIANTS, isOneOf, type SolverVariant } from '../types';
import type { DiscreteVpSchedule, SkipType } from '../schedule';

export type FloatArray = Float32Array | Float64Array;

/**
 * The network: the x0 prediction for state `x` at denoiser time `tIndex` (DiscreteVpSchedule.modelTimeInput,
 * fractional allowed). `stepIndex` counts the calls of one sampling run from 0. Must return a new array of x's length
 * (the samplers keep it and may anchor it in place).
 */
export type Denoise<A extends FloatArray = Float32Array> = (x: A, tIndex: number, stepIndex: number) => Promise<A>;

export interface SolverStepInfo {
  /** 1-based number of the update just done. */
  step: number;
  steps: number;
  /** Continuous time reached by this update. */
  t: number;
  /** The same time as a denoiser index. */
  tIndex: number;
  /** Order of the update just done (lower during warm-up and, for few steps, at the end). */
  order: number;
}

export interface DpmSolverOptions<A extends FloatArray = Float32Array> {
  /** Number of updates = number of network calls (1–50 in the engine; any positive integer works). */
  steps: number;
  /** 1, 2 or 3 (default 2, DiffuSeq-v2's choice). Runs with steps < order use order = steps. */
  order?: 1 | 2 | 3;
  skipType?: SkipType;
  variant?: SolverVariant;
  /** Default 1 (= index T−1). */
  tStart?: number;
  /** Default 1/T (= index 0). */
  tEnd?: number;
  /** Finish with lower orders (default true), only when steps < lowerOrderFinalBelow. */
  lowerOrderFinal?: boolean;
  /**
   * Threshold for lowerOrderFinal. Default 10: the code of current LuChengTHU/dpm-solver and of DiffuSeq-v2's copy
   * test `steps < 10`; the upstream docstring (and older releases) say 15.
   */
  lowerOrderFinalBelow?: number;
  /** Form of the order-3 update (default 'reference'); see ThirdOrderForm. */
  thirdOrder?: ThirdOrderForm;
  /** Mutates in place: called on the initial state, every x0 prediction and the state after every update. */
  anchor?: (x: A) => void;
  signal?: AbortSignal;
  onStep?: (info: SolverStepInfo) => void;
}

export function allocLike<A extends FloatArray>(like: A, n = like.length): A {
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;
}

function checkSameLength(a: FloatArray, b: FloatArray, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: length ${b.length} ≠ state length ${a.length}`);
}

/**
 * DPM-Solver++ first order (= DDIM) from s to t with x0 prediction m_s:
 * x_t = (σ_t/σ_s)·x − α_t·(e^{−h} − 1)·m_s, h = λ_t − λ_s.
 */
export function dpmSolverFirstUpdate<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  x: A,
  s: number,
  t: number,
  modelS: FloatArray,
  out: A = allocLike(x),
): A {
  checkSameLength(x, modelS, 'model_s');
  const h = ns.marginalLambda(t) - ns.marginalLambda(s);
  const cx = ns.marginalStd(t) / ns.marginalStd(s);
  const cm = -ns.marginalAlpha(t) * Math.expm1(-h);
  for (let i = 0; i < x.length; i++) out[i] = cx * x[i] + cm * modelS[i];
  return out;
}

/**
 * Multistep DPM-Solver++(2M) from tPrev[1] to t using the x0 predictions at tPrev[0], tPrev[1] (oldest first,
 * like the reference's lists): x_t = (σ_t/σ_0)x − α_t φ1 m0 − ½ α_t φ1 D, D = (m0 − m1)/r0, r0 = h0/h.
 */
export function multistepSecondUpdate<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  x: A,
  modelPrev: readonly [FloatArray, FloatArray],
  tPrev: readonly [number, number],
  t: number,
  out: A = allocLike(x),
): A {
  const [m1, m0] = modelPrev;
  checkSameLength(x, m0, 'model_prev_0');
  checkSameLength(x, m1, 'model_prev_1');
  const [tP1, tP0] = tPrev;
  const lP1 = ns.marginalLambda(tP1);
  const lP0 = ns.marginalLambda(tP0);
  const lT = ns.marginalLambda(t);
  const h0 = lP0 - lP1;
  const h = lT - lP0;
  const r0 = h0 / h;
  const aPhi1 = ns.marginalAlpha(t) * Math.expm1(-h);
  const cx = ns.marginalStd(t) / ns.marginalStd(tP0);
  const cD = (-0.5 * aPhi1) / r0;
  for (let i = 0; i < x.length; i++) {
    out[i] = cx * x[i] - aPhi1 * m0[i] + cD * (m0[i] - m1[i]);
  }
  return out;
}

/**
 * How the third-order update weighs the second divided difference.
 * 'reference': exactly LuChengTHU/dpm-solver's `multistep_dpm_solver_third_update` (and diffusers'), where
 *   D2 = (D1_0 − D1_1)/(r0 + r1) ≈ h²·x̂0''/2 but the Taylor term it multiplies, −α_t φ3, needs h²·x̂0''. The
 *   h³ term of the local error therefore does not cancel: local error O(h³), global order 2 (measured in
 *   test/engine/sampler/dpmSolver.test.ts), just with a smaller constant than 2M.
 * 'corrected': D2 doubled, which makes the local error O(h⁴) and the method globally third order.
 */
export type ThirdOrderForm = 'reference' | 'corrected';

/**
 * Multistep DPM-Solver++(3M) from tPrev[2] to t with the x0 predictions at tPrev[0..2] (oldest first):
 * x_t = (σ_t/σ_0)x − α_t φ1 m0 + α_t φ2 D1 − α_t φ3 D2 with the reference's divided differences.
 */
export function multistepThirdUpdate<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  x: A,
  modelPrev: readonly [FloatArray, FloatArray, FloatArray],
  tPrev: readonly [number, number, number],
  t: number,
  out: A = allocLike(x),
  form: ThirdOrderForm = 'reference',
): A {
  const [m2, m1, m0] = modelPrev;
  checkSameLength(x, m0, 'model_prev_0');
  checkSameLength(x, m1, 'model_prev_1');
  checkSameLength(x, m2, 'model_prev_2');
  const [tP2, tP1, tP0] = tPrev;
  const lP2 = ns.marginalLambda(tP2);
  const lP1 = ns.marginalLambda(tP1);
  const lP0 = ns.marginalLambda(tP0);
  const lT = ns.marginalLambda(t);
  const h1 = lP1 - lP2;
  const h0 = lP0 - lP1;
  const h = lT - lP0;
  const r0 = h0 / h;
  const r1 = h1 / h;
  const alphaT = ns.marginalAlpha(t);
  const phi1 = Math.expm1(-h);
  const phi2 = phi1 / h + 1;
  const phi3 = phi2 / h - 0.5;
  const cx = ns.marginalStd(t) / ns.marginalStd(tP0);
  const cm0 = -alphaT * phi1;
  const cD1 = alphaT * phi2;
  const cD2 = -alphaT * phi3;
  const w = r0 / (r0 + r1);
  const inv = (form === 'corrected' ? 2 : 1) / (r0 + r1);
  for (let i = 0; i < x.length; i++) {
    const d10 = (m0[i] - m1[i]) / r0;
    const d11 = (m1[i] - m2[i]) / r1;
    const D1 = d10 + w * (d10 - d11);
    const D2 = inv * (d10 - d11);
    out[i] = cx * x[i] + cm0 * m0[i] + cD1 * D1 + cD2 * D2;
  }
  return out;
}

/** `multistep_dpm_solver_update`: the update of the given order using the most recent entries of the lists. */
export function multistepUpdate<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  x: A,
  modelPrev: readonly FloatArray[],
  tPrev: readonly number[],
  t: number,
  order: number,
  out: A = allocLike(x),
  thirdOrder: ThirdOrderForm = 'reference',
): A {
  const n = modelPrev.length;
  if (tPrev.length !== n) throw new RangeError('modelPrev and tPrev must have the same length');
  if (order < 1 || order > 3 || order > n) throw new RangeError(`cannot take an order-${order} step with ${n} values`);
  if (order === 1) return dpmSolverFirstUpdate(ns, x, tPrev[n - 1], t, modelPrev[n - 1], out);
  if (order === 2) {
    return multistepSecondUpdate(ns, x, [modelPrev[n - 2], modelPrev[n - 1]], [tPrev[n - 2], tPrev[n - 1]], t, out);
  }
  return multistepThirdUpdate(
    ns,
    x,
    [modelPrev[n - 3], modelPrev[n - 2], modelPrev[n - 1]],
    [tPrev[n - 3], tPrev[n - 2], tPrev[n - 1]],
    t,
    out,
    thirdOrder,
  );
}

/** What the multistep samplers below take besides the schedule, the start and the network. */
export type MultistepOptions<A extends FloatArray = Float32Array> = Pick<
  DpmSolverOptions<A>,
  'order' | 'lowerOrderFinal' | 'lowerOrderFinalBelow' | 'thirdOrder' | 'anchor' | 'signal' | 'onStep'
>;

/**
 * Sample from xT at tStart down to tEnd: `dpmSolverPlusPlus` (textbook) or `dpmSolverPlusPlusX0Reset` on the time
 * grid `ns.timeSteps(skipType, tStart, tEnd, steps)`.
 */
export async function dpmSolverPlusPlus<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  xT: A,
  denoise: Denoise<A>,
  options: DpmSolverOptions<A>,
): Promise<A> {
  const steps = options.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const variant: SolverVariant = options.variant ?? 'textbook';
  if (!isOneOf(SOLVER_VARIANTS, variant)) throw new RangeError(`unknown solver variant ${variant}`);
  const grid = ns.timeSteps(options.skipType ?? 'time_uniform', options.tStart ?? 1, options.tEnd ?? 1 / ns.T, steps);
  return (variant === 'x0-reset' ? sampleDpmSolverPlusPlusX0Reset : sampleDpmSolverPlusPlus)(ns, xT, denoise, grid, options);
}

/**
 * Upstream multistep DPM-Solver++ on the time grid `timesteps` (decreasing continuous times, one update per
 * interval): the state is the ODE solution x_t throughout and the x0 predictions only enter through the multistep
 * updates.
 */
export function sampleDpmSolverPlusPlus<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  xT: A,
  denoise: Denoise<A>,
  timesteps: ArrayLike<number>,
  options: MultistepOptions<A> = {},
): Promise<A> {
  return multistepSample(ns, xT, denoise, timesteps, options, (x) => x);
}

/**
 * DiffuSeq-v2's variant (Shark-NLP/DiffuSeq, branch diffuseq-v2, dpm_solver_pytorch.py, `DPM_Solver.sample`, block
 * "modified by DiffuSeq from DPM-solver++", driven by sample_seq2seq_dpmSolver.py with order=2,
 * skip_type='time_uniform', method='multistep'). There every model call is written as
 * `x = self.model_fn(x, t); x = torch.where(input_ids_mask==0, x_start, x); model_prev_list.append(x)`: the state
 * itself is replaced by the (source-anchored) x0 prediction before each update, so each update starts from
 * x̂0(t_prev) instead of x_{t_prev}: x_t = (σ_t/σ_s)·x̂0 − α_t(e^{−h} − 1)·x̂0 (+ the same multistep corrections).
 * After the last update (no model call follows) the updated state is returned, as there. The noise implied by the
 * state is dropped, so this is not a consistent ODE solver: its result does not converge to the ODE solution.
 */
export function sampleDpmSolverPlusPlusX0Reset<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  xT: A,
  denoise: Denoise<A>,
  timesteps: ArrayLike<number>,
  options: MultistepOptions<A> = {},
): Promise<A> {
  return multistepSample(ns, xT, denoise, timesteps, options, (_x, x0) => x0);
}

/**
 * The multistep loop both variants share. `stateAfterModel(x, x̂0)` is the state the next update starts from once
 * the network has predicted x̂0 at x: the one place the variants differ.
 */
async function multistepSample<A extends FloatArray>(
  ns: DiscreteVpSchedule,
  xT: A,
  denoise: Denoise<A>,
  timesteps: ArrayLike<number>,
  options: MultistepOptions<A>,
  stateAfterModel: (x: A, x0: A) => A,
): Promise<A> {
  const steps = timesteps.length - 1;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`the time grid needs at least 2 points, got ${timesteps.length}`);
  const requestedOrder = options.order ?? 2;
  if (![1, 2, 3].includes(requestedOrder)) throw new RangeError(`order must be 1, 2 or 3, got ${requestedOrder}`);
  // The reference asserts steps ≥ order; one or two steps simply run at that order here.
  const order = Math.min(requestedOrder, steps);
  const lowerOrderFinal = (options.lowerOrderFinal ?? true) && steps < (options.lowerOrderFinalBelow ?? 10);
  const { anchor, signal, onStep } = options;
  const thirdOrder = options.thirdOrder ?? 'reference';
  if (thirdOrder !== 'reference' && thirdOrder !== 'corrected') throw new RangeError(`unknown thirdOrder ${thirdOrder}`);

  let calls = 0;
  const model = async (x: A, t: number): Promise<A> => {
    throwIfAborted(signal);
    const m = await denoise(x, ns.modelTimeInput(t), calls++);
    // An abort during the network call must not lead to another call.
    throwIfAborted(signal);
    checkSameLength(x, m, 'denoise output');
    anchor?.(m);
    return m;
  };
  const stepDone = (step: number, t: number, stepOrder: number): void => {
    onStep?.({ step, steps, t, tIndex: ns.modelTimeInput(t), order: stepOrder });
  };

  throwIfAborted(signal);
  let x = xT.slice() as A;
  anchor?.(x);

  const tPrev: number[] = [timesteps[0]];
  const modelPrev: A[] = [await model(x, timesteps[0])];
  x = stateAfterModel(x, modelPrev[0]);

  // Warm-up: orders 1 … order−1 while the history fills.
  for (let step = 1; step < order; step++) {
    const t = timesteps[step];
    x = multistepUpdate(ns, x, modelPrev, tPrev, t, step);
    anchor?.(x);
    stepDone(step, t, step);
    tPrev.push(t);
    const m = await model(x, t);
    modelPrev.push(m);
    x = stateAfterModel(x, m);
  }

  for (let step = order; step <= steps; step++) {
    const t = timesteps[step];
    const stepOrder = lowerOrderFinal ? Math.min(order, steps + 1 - step) : order;
    x = multistepUpdate(ns, x, modelPrev, tPrev, t, stepOrder, allocLike(x), thirdOrder);
    anchor?.(x);
    stepDone(step, t, stepOrder);
    // Slide the window of the last `order` (time, prediction) pairs.
    for (let i = 0; i < order - 1; i++) {
      tPrev[i] = tPrev[i + 1];
      modelPrev[i] = modelPrev[i + 1];
    }
    tPrev[order - 1] = t;
    if (step < steps) {
      const m = await model(x, t);
      modelPrev[order - 1] = m;
      x = stateAfterModel(x, m);
    }
  }
  return x;
}
