/**
 * A diffusion problem with a closed-form answer, for testing samplers: data x0 ~ N(μ, s²) per coordinate under a VP
 * schedule (x_t = α_t x0 + σ_t ε).
 *
 * - The optimal x0 predictor is E[x0 | x_t] = μ + α_t s²/(α_t² s² + σ_t²)·(x_t − α_t μ).
 * - The probability-flow ODE maps quantiles to quantiles: the solution through x_t = α_t μ + √(α_t² s² + σ_t²)·z
 *   keeps z fixed, whatever the schedule does between the two times.
 */
import type { DiscreteVpSchedule } from '../../../src/engine/schedule';

export class GaussianCase {
  constructor(
    readonly ns: DiscreteVpSchedule,
    readonly mu: number,
    readonly s: number,
  ) {}

  /** The exact ODE state at continuous time t for quantile z. */
  stateAt(t: number, z: number): number {
    const a = this.ns.marginalAlpha(t);
    const sg = this.ns.marginalStd(t);
    return a * this.mu + Math.sqrt(a * a * this.s * this.s + sg * sg) * z;
  }

  /** The exact ODE end point at α = 1, σ = 0. */
  cleanAt(z: number): number {
    return this.mu + this.s * z;
  }

  /** E[x0 | x_t = x] at continuous time t. */
  x0Given(x: number, t: number): number {
    const a = this.ns.marginalAlpha(t);
    const sg = this.ns.marginalStd(t);
    return this.mu + ((a * this.s * this.s) / (a * a * this.s * this.s + sg * sg)) * (x - a * this.mu);
  }

  /** The optimal denoiser in the engine's interface (t given as a denoiser index, fractional allowed). */
  denoiser<A extends Float32Array | Float64Array>(): (x: A, tIndex: number) => Promise<A> {
    return async (x: A, tIndex: number): Promise<A> => {
      const t = this.ns.continuousTime(tIndex);
      const out = (x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length)) as A;
      for (let i = 0; i < x.length; i++) out[i] = this.x0Given(x[i], t);
      return out;
    };
  }

  /** The state at time t for each quantile. */
  states(t: number, zs: readonly number[]): Float64Array {
    return Float64Array.from(zs, (z) => this.stateAt(t, z));
  }
}

/** Least-squares slope of −log(error) against log(steps): the observed convergence order. */
export function convergenceOrder(steps: readonly number[], errors: readonly number[]): number {
  const X = steps.map(Math.log);
  const Y = errors.map(Math.log);
  const mx = X.reduce((a, b) => a + b, 0) / X.length;
  const my = Y.reduce((a, b) => a + b, 0) / Y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < X.length; i++) {
    sxy += (X[i] - mx) * (Y[i] - my);
    sxx += (X[i] - mx) ** 2;
  }
  return -sxy / sxx;
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
