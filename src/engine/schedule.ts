/**
 * Noise schedules: the discrete ᾱ arrays the model was trained with, and DPM-Solver's continuous-time view of them.
 *
 * `DiscreteVpSchedule` mirrors `NoiseScheduleVP(schedule='discrete')` of LuChengTHU/dpm-solver
 * (dpm_solver_pytorch.py) and of the copy DiffuSeq-v2 ships: discrete index i ↦ continuous time t_i = (i+1)/T,
 * log α(t) piecewise-linear between those knots (extrapolated with the outermost segments, like its
 * `interpolate_fn`). Everything is float64; the reference keeps its arrays in float32, so values agree to ~1e-7
 * relative, not bit for bit.
 *
 * Deliberately not mirrored: newer upstream versions drop the last knots whose half-logSNR is below −5.1
 * (`numerical_clip_alpha`). DiffuSeq-v2's copy does not, and clipping would shift the t ↔ index mapping the
 * denoiser relies on.
 */

export type SkipType = 'time_uniform' | 'logSNR' | 'time_quadratic';

/** ᾱ(s) = 1 − √(s + 1e-4) (Li et al. 2022), the `sqrt` schedule of docs/model-format.md. */
function sqrtAlphaBar(s: number): number {
  return 1 - Math.sqrt(s + 0.0001);
}

/**
 * Betas from a continuous ᾱ(s) exactly as DiffuSeq's `betas_for_alpha_bar`: β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), maxBeta).
 * Same float64 operations in the same order as the numpy code, so the result is bit-identical to it.
 */
export function betasForAlphaBar(T: number, alphaBar: (s: number) => number, maxBeta = 0.999): Float64Array {
  checkSteps(T);
  const betas = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    const t1 = i / T;
    const t2 = (i + 1) / T;
    betas[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return betas;
}

/** alphas_cumprod[i] = Π_{j≤i} (1 − β_j), multiplied left to right like numpy's cumprod. */
export function alphasCumprodFromBetas(betas: ArrayLike<number>): Float64Array {
  const out = new Float64Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= 1 - betas[i];
    out[i] = acc;
  }
  return out;
}

/** The model's schedule (docs/model-format.md, "Noise schedule"). */
export function sqrtAlphasCumprod(T: number): Float64Array {
  return alphasCumprodFromBetas(betasForAlphaBar(T, sqrtAlphaBar));
}

/** DDPM's linear betas, rescaled to T like DiffuSeq's `get_named_beta_schedule('linear')`. Used by tests. */
export function linearAlphasCumprod(T: number): Float64Array {
  checkSteps(T);
  const scale = 1000 / T;
  const b0 = scale * 0.0001;
  const b1 = scale * 0.02;
  const betas = new Float64Array(T);
  for (let i = 0; i < T; i++) betas[i] = T === 1 ? b0 : b0 + ((b1 - b0) * i) / (T - 1);
  return alphasCumprodFromBetas(betas);
}

/** Improved-DDPM cosine schedule as DiffuSeq's `get_named_beta_schedule('cosine')`. Used by tests. */
export function cosineAlphasCumprod(T: number): Float64Array {
  return alphasCumprodFromBetas(betasForAlphaBar(T, (s) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2));
}

function checkSteps(T: number): void {
  if (!Number.isInteger(T) || T < 2) throw new RangeError(`schedule needs an integer T ≥ 2, got ${T}`);
}

/** log(e^a + e^b) without overflow. */
function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Piecewise-linear y(x) through (xp[k], yp[k]) with xp strictly increasing; outside [xp[0], xp[K−1]] the first or
 * last segment is extended, as DPM-Solver's `interpolate_fn` does.
 */
function interpolate(x: number, xp: Float64Array, yp: Float64Array): number {
  const K = xp.length;
  let lo: number;
  if (x <= xp[0]) lo = 0;
  else if (x >= xp[K - 1]) lo = K - 2;
  else {
    // Largest k with xp[k] ≤ x.
    let a = 0;
    let b = K - 1;
    while (b - a > 1) {
      const mid = (a + b) >>> 1;
      if (xp[mid] <= x) a = mid;
      else b = mid;
    }
    lo = a;
  }
  const x0 = xp[lo];
  const x1 = xp[lo + 1];
  return yp[lo] + ((x - x0) * (yp[lo + 1] - yp[lo])) / (x1 - x0);
}

export class DiscreteVpSchedule {
  /** Number of discrete training steps (DPM-Solver's total_N). */
  readonly T: number;
  readonly alphasCumprod: Float64Array;
  /** t_i = (i+1)/T, i.e. linspace(0, 1, T+1)[1:]. */
  readonly tArray: Float64Array;
  /** 0.5·log(alphas_cumprod[i]) = log α at t_i. */
  readonly logAlphaArray: Float64Array;
  // Reversed copies so inverseLambda can search an increasing abscissa.
  private readonly logAlphaAscending: Float64Array;
  private readonly tForLogAlphaAscending: Float64Array;

  constructor(alphasCumprod: ArrayLike<number>) {
    const T = alphasCumprod.length;
    if (T < 2) throw new RangeError(`schedule needs at least 2 steps, got ${T}`);
    this.T = T;
    this.alphasCumprod = Float64Array.from(alphasCumprod);
    this.tArray = new Float64Array(T);
    this.logAlphaArray = new Float64Array(T);
    for (let i = 0; i < T; i++) {
      const a = this.alphasCumprod[i];
      if (!(a > 0 && a < 1)) throw new RangeError(`alphas_cumprod[${i}] = ${a} is not in (0, 1)`);
      if (i > 0 && !(a < this.alphasCumprod[i - 1])) {
        // inverseLambda and the solver's step sizes need a strictly decreasing ᾱ.
        throw new RangeError(`alphas_cumprod must be strictly decreasing (index ${i})`);
      }
      // torch.linspace(0, 1, T+1)[1:] is (i+1)/T up to float32 rounding.
      this.tArray[i] = (i + 1) / T;
      this.logAlphaArray[i] = 0.5 * Math.log(a);
    }
    this.logAlphaAscending = this.logAlphaArray.slice().reverse();
    this.tForLogAlphaAscending = this.tArray.slice().reverse();
  }

  static fromBetas(betas: ArrayLike<number>): DiscreteVpSchedule {
    return new DiscreteVpSchedule(alphasCumprodFromBetas(betas));
  }

  static sqrt(T: number): DiscreteVpSchedule {
    return new DiscreteVpSchedule(sqrtAlphasCumprod(T));
  }

  /** log α_t. */
  marginalLogMeanCoeff(t: number): number {
    return interpolate(t, this.tArray, this.logAlphaArray);
  }

  marginalAlpha(t: number): number {
    return Math.exp(this.marginalLogMeanCoeff(t));
  }

  /** σ_t = √(1 − α_t²); expm1 keeps precision where α_t ≈ 1. */
  marginalStd(t: number): number {
    return Math.sqrt(-Math.expm1(2 * this.marginalLogMeanCoeff(t)));
  }

  /** Half-logSNR λ_t = log α_t − log σ_t. */
  marginalLambda(t: number): number {
    const logAlpha = this.marginalLogMeanCoeff(t);
    return logAlpha - 0.5 * Math.log(-Math.expm1(2 * logAlpha));
  }

  /** t with marginalLambda(t) = lambda (interpolated in log α, as the reference). */
  inverseLambda(lambda: number): number {
    const logAlpha = -0.5 * logAddExp(0, -2 * lambda);
    return interpolate(logAlpha, this.logAlphaAscending, this.tForLogAlphaAscending);
  }

  /**
   * The denoiser's `t` input for continuous time t: (t − 1/T)·T, so t_i = (i+1)/T maps to index i and in-between
   * times to fractional indices (docs/model-format.md). DiffuSeq-v2's own copy feeds `t·1000` to a network trained
   * on `index·1000/T`, i.e. it is one index late; this engine's ONNX contract uses the upstream mapping.
   */
  modelTimeInput(tCont: number): number {
    return (tCont - 1 / this.T) * this.T;
  }

  /** Inverse of modelTimeInput. */
  continuousTime(index: number): number {
    return (index + 1) / this.T;
  }

  /**
   * N+1 decreasing times from tStart to tEnd, as DPM-Solver's `get_time_steps`. 'time_uniform' (the default) is
   * what DPM-Solver++ recommends for discrete-time models and what DiffuSeq-v2 uses.
   */
  timeSteps(kind: SkipType = 'time_uniform', tStart = 1, tEnd = 1 / this.T, N = 20): Float64Array {
    if (!Number.isInteger(N) || N < 1) throw new RangeError(`timeSteps needs N ≥ 1, got ${N}`);
    if (!(tStart > 0 && tEnd > 0)) throw new RangeError('time range must be > 0 (discrete models: [1/T, 1])');
    const out = new Float64Array(N + 1);
    const linspace = (a: number, b: number, f: (v: number) => number): void => {
      for (let i = 0; i <= N; i++) out[i] = f(i === N ? b : a + ((b - a) * i) / N);
    };
    switch (kind) {
      case 'time_uniform':
        linspace(tStart, tEnd, (v) => v);
        break;
      case 'time_quadratic':
        linspace(Math.sqrt(tStart), Math.sqrt(tEnd), (v) => v * v);
        break;
      case 'logSNR': {
        const lT = this.marginalLambda(tStart);
        const l0 = this.marginalLambda(tEnd);
        linspace(lT, l0, (v) => this.inverseLambda(v));
        break;
      }
      default:
        throw new RangeError(`unknown skip type ${String(kind)}`);
    }
    // Pin the ends exactly so the solver starts where xT lives and ends at the requested time.
    out[0] = tStart;
    out[N] = tEnd;
    return out;
  }
}
