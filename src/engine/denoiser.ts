/**
 * The denoiser: the network (a `Denoiser`: the package's denoiser.onnx on onnxruntime, or a test's fake), and the
 * function the samplers call, which feeds it x_self_cond and target_start as the manifest asks and times it.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import type { BatchShape } from './batch';
import { targetPositionsOf, type ModelManifest } from './manifest';
import { ort } from './session';

/** The denoiser graph's inputs (docs/model-format.md) as typed arrays: x_t, x_self_cond [B, L, d]; t, target_start [B]. */
export interface DenoiserFeeds {
  x_t: Float32Array;
  t: Float32Array;
  /** Self-conditioned models only: the previous x0 prediction (zeros at the first call). */
  x_self_cond?: Float32Array;
  /** The restart layout only: each row's first target position. */
  target_start?: BigInt64Array;
}

/** The network that predicts x0 [B, L, d] from its feeds. */
export interface Denoiser {
  predict(feeds: DenoiserFeeds, shape: { B: number; L: number; d: number }): Promise<Float32Array>;
  release(): Promise<void>;
}

/** denoiser.onnx on an onnxruntime session. */
export function onnxDenoiser(session: InferenceSession): Denoiser {
  return {
    async predict(f, { B, L, d }) {
      const T = ort().Tensor;
      const feeds: Record<string, Tensor> = { x_t: new T('float32', f.x_t, [B, L, d]), t: new T('float32', f.t, [B]) };
      if (f.x_self_cond) {
        feeds.x_self_cond = new T('float32', f.x_self_cond, [B, L, d]);
      }
      if (f.target_start) {
        feeds.target_start = new T('int64', f.target_start, [B]);
      }
      const out = await session.run(feeds);
      return out.x0.data as Float32Array;
    },
    release: () => session.release(),
  };
}

/**
 * The denoiser as the samplers call it: x_t [B,L,d] and t [B], plus x_self_cond (zeros first, then the previous
 * x0) for self-conditioned models and target_start for the restart layout. Network time goes to `clock`.
 */
export function denoiserCall(
  denoiser: Denoiser,
  manifest: ModelManifest,
  srcLen: Int32Array,
  shape: BatchShape,
  clock: { network: number },
): (x: Float32Array, tIndex: number) => Promise<Float32Array> {
  const { L, d } = shape;
  const B = srcLen.length;
  const t = new Float32Array(B);
  const selfCond = manifest.diffusion.selfConditioning;
  // The restart layout numbers target positions from each row's first target slot (= its source length).
  const targetStart = targetPositionsOf(manifest) === 'restart' ? BigInt64Array.from(srcLen, (n) => BigInt(n)) : undefined;
  let prevX0: Float32Array | undefined = selfCond ? new Float32Array(B * L * d) : undefined;
  return async (x, tIndex) => {
    t.fill(tIndex);
    const feeds: DenoiserFeeds = { x_t: x, t };
    if (prevX0) {
      feeds.x_self_cond = prevX0;
    }
    if (targetStart) {
      feeds.target_start = targetStart;
    }
    const t0 = performance.now();
    const x0 = await denoiser.predict(feeds, { B, L, d });
    clock.network += performance.now() - t0;
    if (x0.length !== x.length) {
      throw new Error(`denoiser.onnx returned ${x0.length} values for a [${B}, ${L}, ${d}] input`);
    }
    if (selfCond) {
      prevX0 = x0;
    }
    return x0;
  };
}
