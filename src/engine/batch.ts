/**
 * The typed-array work of one sampling batch, as pure functions: the starting state, the source anchor, and the
 * target window that rounding reads back. A batch lays out `jobs.length × N` rows of L positions × d, row
 * r = j·N + k holding candidate k of job j; every row starts with its job's source ([TASK] … [SEP]).
 */
import type { Rng } from './rng';
import type { NoiseInit } from './types';

export interface BatchJob {
  /** [TASK] ids [SEP]: the positions the anchor keeps clean. */
  source: readonly number[];
  /** The job's stream; candidate k draws from `rng.child(k)`. */
  rng: Rng;
  /**
   * Target tokens held fixed like the source (protected spans' placeholders): `pos` counts from the first target
   * slot. They start clean, the anchor writes them back after every update, and rounding is overruled there.
   */
  anchors?: readonly TargetAnchor[];
}

export interface TargetAnchor {
  pos: number;
  id: number;
}

export interface BatchShape {
  /** Candidates per job. */
  N: number;
  /** Positions per row. */
  L: number;
  /** Embedding dimension. */
  d: number;
}

export interface StartState {
  /** Source length of each row. */
  srcLen: Int32Array;
  /** The clean source embeddings of each row (zeros after them): what the anchor writes back. */
  clean: Float32Array;
  /** x_T: the clean source, then the target part's starting noise. */
  xT: Float32Array;
  /** Absolute positions, per row, of the target anchors (their clean embeddings are in `clean` too). */
  fixed: number[][];
}

/**
 * x_T of every row. `gaussian`: the target part is N(0, 1). `absorbing` (DiffuSeq-v2's discrete noise in the
 * start): each target position is the absorbing row `embeddings[V]` with probability γ·√(1 − ᾱ_T), noised as
 * q(x_T | ·) = √ᾱ_T·e + √(1 − ᾱ_T)·ε (e = 0 when not absorbed).
 *
 * `centred` (models trained with the official DiffuSeq-v2 forward process, whose Gaussian is centred on the
 * absorbing vector m): the state is returned in y = x − m coordinates, where that process is the usual one —
 * the source (and so the anchor) is its embedding − m, a `gaussian` target is N(0, 1) (x_T ~ N(m, I)), and an
 * `absorbing` target is exactly 0 (x = m, the clean marker the official process writes) with probability
 * γ·√(1 − ᾱ_T), else √(1 − ᾱ_T)·ε. The sampler runs on y; `shiftRows(x, m, 1)` maps its result back.
 */
export function startState(
  jobs: readonly BatchJob[],
  shape: BatchShape,
  embeddings: Float32Array,
  noise: { init: NoiseInit; vocabSize: number; alphaBarT: number; absorbingRate: number; centred?: boolean },
): StartState {
  const { N, L, d } = shape;
  const B = jobs.length * N;
  const rowLen = L * d;
  const srcLen = new Int32Array(B);
  const clean = new Float32Array(B * rowLen);
  const xT = new Float32Array(B * rowLen);
  const absorbP = noise.absorbingRate * Math.sqrt(1 - noise.alphaBarT);
  const sa = Math.sqrt(noise.alphaBarT);
  const sn = Math.sqrt(1 - noise.alphaBarT);
  const absorbRow = noise.vocabSize * d;
  const fixed: number[][] = [];
  for (let j = 0; j < jobs.length; j++) {
    const { source, rng: jobRng, anchors = [] } = jobs[j];
    const S = source.length;
    for (let k = 0; k < N; k++) {
      const r = j * N + k;
      srcLen[r] = S;
      const base = r * rowLen;
      for (let p = 0; p < S; p++) {
        const id = source[p];
        clean.set(embeddings.subarray(id * d, id * d + d), base + p * d);
        if (noise.centred) {
          for (let i = 0; i < d; i++) clean[base + p * d + i] -= embeddings[absorbRow + i];
        }
      }
      xT.set(clean.subarray(base, base + S * d), base);
      const rng = jobRng.child(k);
      if (noise.init === 'gaussian') {
        rng.fillGaussian(xT.subarray(base + S * d, base + rowLen));
      } else {
        for (let p = S; p < L; p++) {
          const absorbed = rng.uniform() < absorbP;
          const off = base + p * d;
          for (let i = 0; i < d; i++) {
            if (noise.centred) {
              // The official process writes exactly m (y = 0) at an absorbed position, no noise on it.
              const eps = rng.gaussian();
              xT[off + i] = absorbed ? 0 : sn * eps;
              continue;
            }
            const e = absorbed ? embeddings[absorbRow + i] : 0;
            xT[off + i] = sa * e + sn * rng.gaussian();
          }
        }
      }
      // Anchored target tokens start clean (the noise above was drawn for them anyway, so the other positions'
      // noise does not depend on where the anchors are).
      const rowFixed: number[] = [];
      for (const a of anchors) {
        const p = S + a.pos;
        if (p >= L) {
          throw new Error(`target anchor at ${a.pos} is outside the ${L - S} target slots`);
        }
        const e = embeddings.subarray(a.id * d, a.id * d + d);
        clean.set(e, base + p * d);
        if (noise.centred) {
          for (let i = 0; i < d; i++) clean[base + p * d + i] -= embeddings[absorbRow + i];
        }
        xT.set(clean.subarray(base + p * d, base + p * d + d), base + p * d);
        rowFixed.push(p);
      }
      fixed.push(rowFixed);
    }
  }
  return { srcLen, clean, xT, fixed };
}

/** x + sign·c at every position (in place; c is one d-vector): between x and the centred y = x − c. */
export function shiftRows(x: Float32Array, c: Float32Array, sign: 1 | -1): Float32Array {
  const d = c.length;
  for (let o = 0; o < x.length; o += d) {
    for (let i = 0; i < d; i++) x[o + i] += sign * c[i];
  }
  return x;
}

/** Writes every row's clean source and target anchors back into `x` (in place): they are never noised. */
export function anchorSources(x: Float32Array, s: StartState, rowLen: number, d: number): void {
  for (let r = 0; r < s.srcLen.length; r++) {
    const base = r * rowLen;
    x.set(s.clean.subarray(base, base + s.srcLen[r] * d), base);
    for (const p of s.fixed[r] ?? []) {
      x.set(s.clean.subarray(base + p * d, base + p * d + d), base + p * d);
    }
  }
}

/**
 * The positions rounding reads: from the shortest source's end to L, the same window W for every row (one
 * rounding call for the batch). Returns the window [B, W, d] and where it starts.
 */
export function targetWindow(
  x: Float32Array,
  srcLen: Int32Array,
  shape: Pick<BatchShape, 'L' | 'd'>,
): { win: Float32Array; minS: number; W: number } {
  const { L, d } = shape;
  const rowLen = L * d;
  let minS = L;
  for (const s of srcLen) minS = Math.min(minS, s);
  const W = L - minS;
  const win = new Float32Array(srcLen.length * W * d);
  for (let r = 0; r < srcLen.length; r++) {
    win.set(x.subarray(r * rowLen + minS * d, (r + 1) * rowLen), r * W * d);
  }
  return { win, minS, W };
}

/**
 * Each row's target token ids from the rounded window [B, W]: from its own target start up to [SEP] or [PAD].
 * `anchors(r)` gives row r's target anchors: their tokens are what was anchored whatever rounding said, and a [SEP]
 * or [PAD] before the last of them does not end the row (it is left out), so no anchored token is cut off.
 */
export function targetIds(
  tokens: ArrayLike<number | bigint>,
  srcLen: Int32Array,
  window: { minS: number; W: number },
  stop: { sep: number; pad: number },
  anchors: (row: number) => readonly TargetAnchor[] = () => [],
): number[][] {
  const { minS, W } = window;
  const rows: number[][] = [];
  for (let r = 0; r < srcLen.length; r++) {
    const ids: number[] = [];
    const start = srcLen[r] - minS;
    const forced = new Map(anchors(r).map((a) => [a.pos, a.id]));
    const last = Math.max(-1, ...forced.keys());
    for (let p = start; p < W; p++) {
      const id = forced.get(p - start) ?? Number(tokens[r * W + p]);
      if (id === stop.sep || id === stop.pad) {
        if (p - start < last) continue;
        break;
      }
      ids.push(id);
    }
    rows.push(ids);
  }
  return rows;
}
