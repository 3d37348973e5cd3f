/**
 * Seeded randomness for reproducible candidates.
 *
 * xoshiro128** (Blackman & Vigna) for the uniform stream, seeded through splitmix32-style mixing of the seed and the
 * stream path; Gaussians by Marsaglia's polar method. Only 32-bit integer ops (Math.imul, shifts), IEEE division,
 * Math.sqrt (correctly rounded) and Math.log (V8's fdlibm port, the same on every OS/CPU) are involved, so a seed
 * gives the same numbers everywhere Node runs. The polar method is used instead of Box–Muller to avoid sin/cos.
 *
 * Streams: `child(i)` derives stream i from this stream's *identity* (seed + path), not from its position, so
 * candidate i's noise does not depend on how much candidate i−1 consumed. `fork()` derives a stream from the
 * current position (useful when the number of children is not known up front).
 */

const GOLDEN = 0x9e3779b9;

/** murmur3's fmix32: a bijective avalanche of a 32-bit word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a list of 32-bit words to one word, order-sensitively. */
function hashWords(words: readonly number[], salt: number): number {
  let h = fmix32(salt ^ Math.imul(words.length, GOLDEN));
  for (const w of words) h = fmix32((h + GOLDEN) ^ fmix32(w >>> 0));
  return h;
}

function splitSeed(seed: number): [number, number] {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  // Two's-complement-like split of any safe integer into low and high words.
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return [lo, hi];
}

export class Rng {
  private _path: readonly number[] = [];
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  /** `seed`: any safe integer. `path`: extra 32-bit words naming a sub-stream (what `child` appends). */
  constructor(seed: number, path: readonly number[] = []) {
    this.reset([...splitSeed(seed), ...path.map((w) => w >>> 0)]);
  }

  /** The words that name this stream: the seed's two words, then the words each `child`/`fork` appended. */
  get path(): readonly number[] {
    return this._path;
  }

  /** A stream derived from this one's identity: the same (seed, path, index) always gives the same numbers. */
  child(index: number): Rng {
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
      throw new RangeError(`child index must be a 32-bit unsigned integer, got ${index}`);
    }
    return Rng.fromPath([...this._path, index, 0x63686c64 /* 'chld' */]);
  }

  /** A new stream seeded from this stream's next outputs (advances this stream). */
  fork(): Rng {
    return Rng.fromPath([...this._path, this.nextUint32(), this.nextUint32(), 0x666f726b /* 'fork' */]);
  }

  private static fromPath(path: number[]): Rng {
    const r = new Rng(0);
    r.reset(path);
    return r;
  }

  private reset(path: number[]): void {
    this._path = path;
    this.s0 = hashWords(path, 0x243f6a88);
    this.s1 = hashWords(path, 0x85a308d3);
    this.s2 = hashWords(path, 0x13198a2e);
    this.s3 = hashWords(path, 0x03707344);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = GOLDEN;
    this.spare = 0;
    this.hasSpare = false;
  }

  /** xoshiro128**: next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1). */
  gaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Fill `out` with N(mean, std²) samples and return it. */
  fillGaussian<A extends Float32Array | Float64Array>(out: A, mean = 0, std = 1): A {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.gaussian();
    return out;
  }

  /** A new Float32Array of n standard normal samples. */
  gaussianArray(n: number): Float32Array {
    return this.fillGaussian(new Float32Array(n));
  }
}

/**
 * An Rng whose fillGaussian fills each candidate row from that row's own stream (`rowStreams[r]`, row r of a batch
 * being `rowLen` values), so DDPM's ancestral noise of a candidate does not depend on which other sources share its
 * batch. Only fillGaussian is row-wise: the other draws come from an unused stream of seed 0.
 */
export function rowwiseRng(rowStreams: readonly Rng[], rowLen: number): Rng {
  class Rowwise extends Rng {
    override fillGaussian<A extends Float32Array | Float64Array>(out: A, mean = 0, std = 1): A {
      for (let r = 0; r < rowStreams.length; r++) {
        const seg = out.subarray(r * rowLen, (r + 1) * rowLen) as A;
        rowStreams[r].fillGaussian(seg, mean, std);
      }
      return out;
    }
  }
  return new Rowwise(0);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
