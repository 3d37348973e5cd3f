import * as assert from 'node:assert/strict';
import { DiscreteVpSchedule, linearAlphasCumprod } from '../../../src/engine/schedule';
import { ddimSample, ddpmSample, respace, spaceTimesteps } from '../../../src/engine/sampler/ddpm';
import { Rng } from '../../../src/engine/rng';
import { GaussianCase, maxAbsDiff } from './gaussianCase';

const close = (a: number, b: number, tol: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

describe('engine/sampler/ddpm', () => {
  describe('spaceTimesteps (DiffuSeq timestep respacing)', () => {
    it('strides sections like space_timesteps', () => {
      // T = 10, 4 steps: stride 9/3 = 3 ⇒ 0, 3, 6, 9.
      assert.deepEqual(spaceTimesteps(10, 4), [0, 3, 6, 9]);
      // 3 steps: stride 4.5 ⇒ round(0), round(4.5), round(9.0) with Python's ties-to-even ⇒ 0, 4, 9.
      assert.deepEqual(spaceTimesteps(10, 3), [0, 4, 9]);
      // "2,3": two sections of 5: [0, round(4)] and 5 + [0, 2, 4].
      assert.deepEqual(spaceTimesteps(10, '2,3'), [0, 4, 5, 7, 9]);
      // "ddim5": the integer stride i with ceil(10/i) = 5 is 2.
      assert.deepEqual(spaceTimesteps(10, 'ddim5'), [0, 2, 4, 6, 8]);
      assert.deepEqual(spaceTimesteps(10, 10), [...Array(10).keys()]);
      assert.throws(() => spaceTimesteps(10, 11), RangeError);
    });

    it('rebuilds betas from the kept ᾱ like SpacedDiffusion', () => {
      const ns = new DiscreteVpSchedule([0.9, 0.5, 0.1]);
      const p = respace(ns, [0, 2]);
      // β'_0 = 1 − .9/1 = .1, β'_1 = 1 − .1/.9 = 0.888…; ᾱ' = .9, .1; the kept steps map to indices 0 and 2.
      assert.deepEqual(p.timestepMap, [0, 2]);
      close(p.betas[0], 0.1, 1e-15);
      close(p.betas[1], 1 - 0.1 / 0.9, 1e-15);
      close(p.alphasCumprod[1], 0.1, 1e-15);
      // Posterior q(x_0' | x_1', x̂0): coef1 = β'√ᾱ'_prev/(1 − ᾱ') = .8889·.948683/.9 = 0.936971,
      // coef2 = (1 − ᾱ'_prev)√(1 − β')/(1 − ᾱ') = .1·√(.1111)/.9 = 0.037037, variance = β'(1 − ᾱ'_prev)/(1 − ᾱ') = .098765.
      close(p.posteriorMeanCoef1[1], ((8 / 9) * Math.sqrt(0.9)) / 0.9, 1e-14);
      close(p.posteriorMeanCoef1[1], 0.936971, 1e-6);
      close(p.posteriorMeanCoef2[1], 0.037037, 1e-6);
      close(p.posteriorVariance[1], 0.098765, 1e-6);
      // At the first step the posterior mean is x̂0 itself (coef1 = 1, coef2 = 0).
      close(p.posteriorMeanCoef1[0], 1, 1e-15);
      close(p.posteriorMeanCoef2[0], 0, 1e-15);
    });
  });

  const ns = new DiscreteVpSchedule(linearAlphasCumprod(1000));
  const gc = new GaussianCase(ns, 1, 0.5);

  describe('DDIM', () => {
    it('with all T steps lands on the exact x0 prediction of the ODE state at index 0', async () => {
      // DDIM's last step (ᾱ_prev = 1) returns x̂0(x_{t0}); with the exact ODE state at index 0 that is
      // E[x0 | x_{t0}], computed in closed form. 1000 first-order steps leave an O(1/T) error.
      const zs = Array.from({ length: 21 }, (_, i) => -3 + (6 * i) / 20);
      const out = await ddimSample(ns, gc.states(1, zs), gc.denoiser<Float64Array>());
      const want = zs.map((z) => gc.x0Given(gc.stateAt(1 / 1000, z), 1 / 1000));
      const err = maxAbsDiff(out, want);
      assert.ok(err < 5e-3, `error ${err}`); // measured 4.5e-3 at |z| = 3
      // A respaced run (100 steps) is less accurate but still close.
      const out100 = await ddimSample(ns, gc.states(1, zs), gc.denoiser<Float64Array>(), { steps: 100 });
      assert.ok(maxAbsDiff(out100, want) < 5e-2);
      assert.ok(maxAbsDiff(out100, want) > err);
    });
  });

  describe('ancestral (p_sample) sampling', function () {
    this.timeout(20000);
    it('reproduces the data distribution N(μ, s²) with DiffuSeq’s fixed-large variance', async () => {
      const n = 8000;
      const rng = new Rng(11);
      const xT = rng.child(0).fillGaussian(new Float64Array(n));
      let steps = 0;
      const out = await ddpmSample(ns, xT, gc.denoiser<Float64Array>(), { rng: rng.child(1), onStep: () => steps++ });
      assert.equal(steps, 1000);
      let m = 0;
      for (const v of out) m += v;
      m /= n;
      let v2 = 0;
      for (const v of out) v2 += (v - m) ** 2;
      v2 /= n;
      // SE(mean) = s/√n = 5.6e-3, SE(variance) = s²·√(2/n) = 4.0e-3; 5 SE bands (the seed is fixed, so this is
      // a regression check with a statistically meaningful tolerance). Measured: 1.0004 / 0.2491 at n = 20000.
      assert.ok(Math.abs(m - 1) < 5 * 5.6e-3, `mean ${m}`);
      assert.ok(Math.abs(v2 - 0.25) < 5 * 4.0e-3, `variance ${v2}`);
    });

    it('respaces, adds no noise at the last step, and is reproducible from the seed', async () => {
      const xT = new Rng(3).fillGaussian(new Float64Array(64));
      const idx: number[] = [];
      const den = gc.denoiser<Float64Array>();
      const watched = async (x: Float64Array, t: number): Promise<Float64Array> => {
        idx.push(t);
        return den(x, t);
      };
      const a = await ddpmSample(ns, xT, watched, { rng: new Rng(9), steps: 50 });
      assert.equal(idx.length, 50);
      assert.deepEqual(idx, spaceTimesteps(1000, 50).reverse());
      const b = await ddpmSample(ns, xT, den, { rng: new Rng(9), steps: 50 });
      assert.deepEqual(Array.from(a), Array.from(b));
      const c = await ddpmSample(ns, xT, den, { rng: new Rng(10), steps: 50 });
      assert.notDeepEqual(Array.from(a), Array.from(c));
      // The final state is the posterior mean at k = 0, which is x̂0 itself: re-denoising gives it back.
      const constantAtZero = async (x: Float64Array, t: number): Promise<Float64Array> =>
        t === 0 ? new Float64Array(x.length).fill(0.123) : den(x, t);
      const last = await ddpmSample(ns, xT, constantAtZero, { rng: new Rng(9), steps: 50 });
      last.forEach((v) => close(v, 0.123, 1e-12));
    });

    it('has a smaller spread with the fixed-small (posterior) variance', async () => {
      const n = 2000;
      const xT = new Rng(4).fillGaussian(new Float64Array(n));
      const variance = async (kind: 'fixed-large' | 'fixed-small'): Promise<number> => {
        const out = await ddpmSample(ns, xT, gc.denoiser<Float64Array>(), { rng: new Rng(5), steps: 100, variance: kind });
        const m = out.reduce((a, b) => a + b, 0) / n;
        return out.reduce((a, b) => a + (b - m) ** 2, 0) / n;
      };
      // β̃_t < β_t at every step, so the sampled spread shrinks (measured 0.256 vs 0.217 at n = 20000).
      assert.ok((await variance('fixed-small')) < (await variance('fixed-large')));
    });
  });

  describe('anchor and abort', () => {
    const anchor = (x: Float32Array): void => {
      x[0] = 4;
      x[2] = -1;
    };
    const anchored = (x: Float32Array): boolean => x[0] === 4 && x[2] === -1;

    for (const kind of ['ddpm', 'ddim'] as const) {
      it(`${kind}: anchored positions hold in every network input, prediction and the result`, async () => {
        const den = gc.denoiser<Float32Array>();
        const preds: Float32Array[] = [];
        const watched = async (x: Float32Array, t: number): Promise<Float32Array> => {
          assert.ok(anchored(x));
          const p = await den(x, t);
          preds.push(p);
          return p;
        };
        const xT = new Float32Array([0, 1, 2, 3]);
        const out =
          kind === 'ddpm'
            ? await ddpmSample(ns, xT, watched, { rng: new Rng(1), steps: 20, anchor })
            : await ddimSample(ns, xT, watched, { steps: 20, anchor });
        assert.ok(out instanceof Float32Array);
        assert.ok(anchored(out));
        assert.equal(preds.length, 20);
        preds.forEach((p) => assert.ok(anchored(p)));
        assert.deepEqual(Array.from(xT), [0, 1, 2, 3]);
      });

      it(`${kind}: aborts between steps without further network calls`, async () => {
        const ac = new AbortController();
        let calls = 0;
        const den = async (x: Float32Array): Promise<Float32Array> => {
          calls++;
          return x.slice();
        };
        const onStep = (s: { step: number }): void => {
          if (s.step === 4) ac.abort();
        };
        const run =
          kind === 'ddpm'
            ? ddpmSample(ns, new Float32Array(3), den, { rng: new Rng(1), steps: 20, signal: ac.signal, onStep })
            : ddimSample(ns, new Float32Array(3), den, { steps: 20, signal: ac.signal, onStep });
        await assert.rejects(run, { name: 'AbortError' });
        assert.equal(calls, 4);
      });
    }
  });
});
