import * as assert from 'node:assert/strict';
import {
  DiscreteVpSchedule,
  alphasCumprodFromBetas,
  betasForAlphaBar,
  linearAlphasCumprod,
  sqrtAlphasCumprod,
} from '../../src/engine/schedule';

const close = (a: number, b: number, tol: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

describe('engine/schedule', () => {
  describe('sqrtAlphasCumprod', () => {
    it('matches a hand computation for T = 4', () => {
      // ᾱ(s) = 1 − √(s + 1e-4): ᾱ(0) = 0.99, ᾱ(.25) = 1 − √.2501 = 0.49990001…, ᾱ(.5) = 1 − √.5001 = 0.29282…,
      // ᾱ(.75) = 1 − √.7501 = 0.13392…, ᾱ(1) = 1 − √1.0001 < 0 ⇒ β_3 = min(1 − ᾱ(1)/ᾱ(.75), .999) = .999.
      // The cumulative product telescopes: alphas_cumprod[i] = ᾱ((i+1)/4)/ᾱ(0) for i < 3, then × (1 − .999).
      const a = sqrtAlphasCumprod(4);
      close(a[0], (1 - Math.sqrt(0.2501)) / 0.99, 1e-15);
      close(a[1], (1 - Math.sqrt(0.5001)) / 0.99, 1e-15);
      close(a[2], (1 - Math.sqrt(0.7501)) / 0.99, 1e-15);
      close(a[3], a[2] * 0.001, 1e-18);
      close(a[0], 0.504949505, 1e-9);
    });

    it('is bit-identical to the numpy implementation (trainer schedule.py) for T = 2000', () => {
      // Values printed by src/trainer/python/diffuseq_trainer/schedule.py alphas_cumprod(2000) (float64 repr).
      const a = sqrtAlphasCumprod(2000);
      assert.equal(a.length, 2000);
      assert.equal(a[0], 0.9853586894668367);
      assert.equal(a[1], 0.9765997495923697);
      assert.equal(a[999], 0.2957803148187003);
      assert.equal(a[1998], 0.00020204040808180686);
      assert.equal(a[1999], 2.0204040808180702e-7);
      for (let i = 1; i < a.length; i++) assert.ok(a[i] < a[i - 1]);
    });

    it('clips betas at 0.999', () => {
      const b = betasForAlphaBar(10, (s) => 1 - Math.sqrt(s + 0.0001));
      assert.equal(b[9], 0.999);
      assert.deepEqual(Array.from(alphasCumprodFromBetas([0.5, 0.5])), [0.5, 0.25]);
    });
  });

  describe('DiscreteVpSchedule', () => {
    // A synthetic 3-step schedule small enough to check by hand.
    const ac = [0.9, 0.5, 0.1];
    const ns = new DiscreteVpSchedule(ac);

    it('puts index i at t = (i+1)/T with log α = ½·log ᾱ_i', () => {
      assert.deepEqual(Array.from(ns.tArray), [1 / 3, 2 / 3, 1]);
      for (let i = 0; i < 3; i++) {
        close(ns.marginalLogMeanCoeff((i + 1) / 3), 0.5 * Math.log(ac[i]), 1e-15);
        close(ns.marginalAlpha((i + 1) / 3), Math.sqrt(ac[i]), 1e-15);
        close(ns.marginalStd((i + 1) / 3), Math.sqrt(1 - ac[i]), 1e-15);
        close(ns.marginalLambda((i + 1) / 3), 0.5 * Math.log(ac[i] / (1 - ac[i])), 1e-14);
        close(ns.modelTimeInput((i + 1) / 3), i, 1e-12);
        close(ns.continuousTime(i), (i + 1) / 3, 1e-15);
      }
    });

    it('interpolates log α linearly and extrapolates with the outer segments', () => {
      // Midway between t = 1/3 and 2/3: the mean of ½ln .9 and ½ln .5.
      close(ns.marginalLogMeanCoeff(0.5), 0.25 * (Math.log(0.9) + Math.log(0.5)), 1e-15);
      // t = 0 lies one third before the first knot: extend the first segment backwards.
      const slope = (0.5 * Math.log(0.5) - 0.5 * Math.log(0.9)) / (1 / 3);
      close(ns.marginalLogMeanCoeff(0), 0.5 * Math.log(0.9) - slope / 3, 1e-14);
      // A fractional denoiser index: t = 0.5 ↦ (0.5 − 1/3)·3 = 0.5.
      close(ns.modelTimeInput(0.5), 0.5, 1e-12);
    });

    it('inverts lambda', () => {
      for (const t of [0.34, 0.5, 0.61, 0.9, 1]) close(ns.inverseLambda(ns.marginalLambda(t)), t, 1e-12, `t=${t}`);
      const sq = DiscreteVpSchedule.sqrt(2000);
      for (const t of [1 / 2000, 0.01, 0.3, 0.77, 0.9995, 1]) close(sq.inverseLambda(sq.marginalLambda(t)), t, 1e-10, `t=${t}`);
    });

    it('spaces time steps like DPM-Solver', () => {
      const lin = new DiscreteVpSchedule(linearAlphasCumprod(1000));
      const tu = lin.timeSteps('time_uniform', 1, 1e-3, 4);
      // linspace(1, 0.001, 5): step (0.001 − 1)/4 = −0.24975.
      [1, 0.75025, 0.5005, 0.25075, 0.001].forEach((v, i) => close(tu[i], v, 1e-15));
      // Default arguments: time_uniform from 1 to 1/T.
      const d = lin.timeSteps(undefined, undefined, undefined, 10);
      assert.equal(d[0], 1);
      assert.equal(d[10], 1 / 1000);
      const tq = lin.timeSteps('time_quadratic', 1, 1e-3, 2);
      // (linspace(1, √.001, 3))²: middle point ((1 + .0316228)/2)² = 0.266023.
      close(tq[1], ((1 + Math.sqrt(1e-3)) / 2) ** 2, 1e-15);
      const ls = lin.timeSteps('logSNR', 1, 1e-3, 8);
      const lam = Array.from(ls, (t) => lin.marginalLambda(t));
      const h = (lam[8] - lam[0]) / 8;
      for (let i = 1; i <= 8; i++) close(lam[i] - lam[i - 1], h, 1e-9, `step ${i}`);
    });

    it('rejects malformed schedules', () => {
      assert.throws(() => new DiscreteVpSchedule([0.5]), RangeError);
      assert.throws(() => new DiscreteVpSchedule([0.5, 0.6]), RangeError);
      assert.throws(() => new DiscreteVpSchedule([1, 0.5]), RangeError);
      assert.throws(() => ns.timeSteps('time_uniform', 1, 0.1, 0), RangeError);
    });
  });
});
