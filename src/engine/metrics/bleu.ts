/**
 * BLEU exactly as NLTK 3.8+ `nltk.translate.bleu_score` computes it (sentence_bleu / corpus_bleu with uniform
 * weights, auto_reweigh=False), with the smoothing DiffuSeq's eval uses, `SmoothingFunction().method4` (k = 5).
 *
 * The details that matter for matching NLTK bit for bit:
 * - modified precision p_n = clipped/total as an *unnormalised* fraction: the numerator is the clipped count (max
 *   over references per n-gram) and the denominator max(1, number of hypothesis n-grams);
 * - if no unigram matches at all, BLEU is 0 before any smoothing;
 * - method4 replaces each p_n with numerator 0, in order, by 1/(2^k·5/ln(hypLen)) / denominator with k = 1, 2, …
 *   counting only the smoothed orders, and only when hypLen > 1 (hypLen: the *hypothesis* length, summed over the
 *   corpus for corpus BLEU); orders still at 0 are then skipped in the geometric mean (NLTK's `if p_i > 0`);
 * - brevity penalty with the closest reference length (ties → the shorter reference), 0 for an empty hypothesis;
 * - the weighted log-sum is taken with math.fsum (correctly rounded), reproduced here with Neumaier summation.
 *
 * Tokens: DiffuSeq's eval splits with Python's str.split() on text the uncased tokenizer already lowercased;
 * `tokenize` does both (lowercasing can be turned off).
 */

/** Python's str.split() separators (str.isspace), which differ from JS \s (e.g. \x1c–\x1f, \x85; no \ufeff). */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Python's `s.split()`: split on runs of whitespace, no empty tokens. */
export function pySplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((w) => w.length > 0);
}

export interface TokenizeOptions {
  /** Default true. */
  lowercase?: boolean;
}

/** Whitespace tokens as DiffuSeq's eval sees them: lowercased, then Python-split. */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  return pySplit((options.lowercase ?? true) ? text.toLowerCase() : text);
}

/** Counts of the n-grams of `tokens` (keyed by the tokens joined with U+0000, which no token contains). */
export function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** NLTK's `modified_precision` as [numerator, denominator] (not reduced). */
export function modifiedPrecision(references: readonly (readonly string[])[], hypothesis: readonly string[], n: number): [number, number] {
  const counts = ngramCounts(hypothesis, n);
  const maxCounts = new Map<string, number>();
  for (const ref of references) {
    const refCounts = ngramCounts(ref, n);
    for (const key of counts.keys()) maxCounts.set(key, Math.max(maxCounts.get(key) ?? 0, refCounts.get(key) ?? 0));
  }
  let numerator = 0;
  let total = 0;
  for (const [key, c] of counts) {
    numerator += Math.min(c, maxCounts.get(key) ?? 0);
    total += c;
  }
  return [numerator, Math.max(1, total)];
}

/** NLTK's `closest_ref_length`: the reference length closest to hypLen, the shorter one on ties. */
export function closestRefLength(references: readonly (readonly string[])[], hypLen: number): number {
  let best = -1;
  for (const ref of references) {
    const len = ref.length;
    if (
      best < 0 ||
      Math.abs(len - hypLen) < Math.abs(best - hypLen) ||
      (Math.abs(len - hypLen) === Math.abs(best - hypLen) && len < best)
    ) {
      best = len;
    }
  }
  return best;
}

/** NLTK's `brevity_penalty`. */
export function brevityPenalty(closestRefLen: number, hypLen: number): number {
  if (hypLen > closestRefLen) return 1;
  if (hypLen === 0) return 0;
  return Math.exp(1 - closestRefLen / hypLen);
}

/** Correctly rounded in all but pathological cases, like Python's math.fsum for a handful of terms. */
function fsum(values: readonly number[]): number {
  let sum = 0;
  let c = 0;
  for (const v of values) {
    const t = sum + v;
    if (Math.abs(sum) >= Math.abs(v)) c += sum - t + v;
    else c += v - t + sum;
    sum = t;
  }
  return sum + c;
}

export type Smoothing = 'method4' | 'method0';

export interface BleuOptions {
  /** Default [0.25, 0.25, 0.25, 0.25]. */
  weights?: readonly number[];
  /** Default 'method4' (DiffuSeq's); 'method0' is NLTK's default (no smoothing). */
  smoothing?: Smoothing;
}

/** Smallest normal double, NLTK method0's stand-in for a zero precision (sys.float_info.min). */
const FLOAT_MIN = 2.2250738585072014e-308;
const METHOD4_K = 5;

/** NLTK `corpus_bleu(list_of_references, hypotheses, weights, smoothing_function)` on token lists. */
export function corpusBleu(
  listOfReferences: readonly (readonly (readonly string[])[])[],
  hypotheses: readonly (readonly string[])[],
  options: BleuOptions = {},
): number {
  if (listOfReferences.length !== hypotheses.length) {
    throw new RangeError('The number of hypotheses and their reference(s) should be the same');
  }
  const weights = options.weights ?? [0.25, 0.25, 0.25, 0.25];
  const maxN = weights.length;
  const num = new Array<number>(maxN + 1).fill(0);
  const den = new Array<number>(maxN + 1).fill(0);
  let hypLengths = 0;
  let refLengths = 0;
  hypotheses.forEach((hyp, k) => {
    const refs = listOfReferences[k];
    for (let n = 1; n <= maxN; n++) {
      const [a, b] = modifiedPrecision(refs, hyp, n);
      num[n] += a;
      den[n] += b;
    }
    hypLengths += hyp.length;
    refLengths += closestRefLength(refs, hyp.length);
  });
  const bp = brevityPenalty(refLengths, hypLengths);
  if (num[1] === 0) return 0;

  // p[n−1]: the (possibly smoothed) precision of order n.
  const p: number[] = [];
  const smoothing = options.smoothing ?? 'method4';
  if (smoothing === 'method4') {
    let incvnt = 1;
    for (let n = 1; n <= maxN; n++) {
      if (num[n] === 0 && hypLengths > 1) {
        // Same operations in the same order as NLTK: 1 / (2**incvnt * k / log(hyp_len)) / denominator.
        const numerator = 1 / ((2 ** incvnt * METHOD4_K) / Math.log(hypLengths));
        p.push(numerator / den[n]);
        incvnt += 1;
      } else {
        p.push(num[n] / den[n]);
      }
    }
  } else {
    for (let n = 1; n <= maxN; n++) p.push(num[n] !== 0 ? num[n] / den[n] : FLOAT_MIN);
  }
  const terms: number[] = [];
  for (let i = 0; i < maxN; i++) if (p[i] > 0) terms.push(weights[i] * Math.log(p[i]));
  return bp * Math.exp(fsum(terms));
}

/** NLTK `sentence_bleu(references, hypothesis, …)` on token lists. */
export function sentenceBleu(references: readonly (readonly string[])[], hypothesis: readonly string[], options: BleuOptions = {}): number {
  return corpusBleu([references], [hypothesis], options);
}

/** Sentence BLEU of a hypothesis string against reference strings, tokenised with `tokenize`. */
export function sentenceBleuText(
  hypothesis: string,
  references: string | readonly string[],
  options: BleuOptions & TokenizeOptions = {},
): number {
  const refs = typeof references === 'string' ? [references] : references;
  return sentenceBleu(
    refs.map((r) => tokenize(r, options)),
    tokenize(hypothesis, options),
    options,
  );
}

/**
 * DiffuSeq's `get_bleu(recover, reference)` (scripts/eval_seq2seq.py), argument order included: it calls
 * `sentence_bleu([recover.split()], reference.split(), method4)`, i.e. the generated text is NLTK's *reference*
 * and the gold text the *hypothesis*. BLEU is not symmetric (brevity penalty, clipping, method4's hypLen), so
 * numbers comparable with DiffuSeq's tables need this order.
 */
export function diffuseqBleu(recover: string, reference: string, options: TokenizeOptions = {}): number {
  return sentenceBleu([tokenize(recover, options)], tokenize(reference, options));
}

/** Mean of `diffuseqBleu` over pairs, as DiffuSeq's eval reports "avg BLEU score". */
export function meanDiffuseqBleu(recovers: readonly string[], references: readonly string[], options: TokenizeOptions = {}): number {
  if (recovers.length !== references.length) throw new RangeError('recovers and references differ in length');
  if (recovers.length === 0) return 0;
  let sum = 0;
  recovers.forEach((r, i) => (sum += diffuseqBleu(r, references[i], options)));
  return sum / recovers.length;
}
