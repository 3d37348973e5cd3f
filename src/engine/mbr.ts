/**
 * Minimum-Bayes-risk choice among the sampled candidates, and the diversity of the set.
 *
 * MBR score of candidate i: the mean sentence BLEU (NLTK, method4 smoothing, lowercased whitespace tokens; see
 * metrics/bleu.ts) of candidate i as the *hypothesis* against each other candidate j as the reference. The
 * candidate with the highest score wins; ties go to the lowest index.
 *
 * DiffuSeq's own `selectBest` (scripts/eval_seq2seq.py) sums `get_bleu(s_i, s_j)` over j for row i, and its
 * get_bleu passes s_i as NLTK's *reference* and s_j as the hypothesis — the transposed orientation. BLEU is not
 * symmetric, so the two can pick different candidates; `orientation: 'diffuseq'` reproduces DiffuSeq's choice
 * (sum vs mean does not change the argmax, np.argmax also takes the first maximum).
 */
import type { Diversity } from './types';
import { sentenceBleu, tokenize } from './metrics/bleu';
import { div4, meanDist1, selfBleu } from './metrics/diversity';

export interface MbrResult {
  /** Index of the chosen candidate. */
  index: number;
  /** MBR score of every candidate, in input order. */
  scores: number[];
}

export interface MbrOptions {
  /** 'hypothesis' (default): candidate i is the hypothesis; 'diffuseq': candidate i is the reference. */
  orientation?: 'hypothesis' | 'diffuseq';
}

/**
 * Pick the candidate that agrees most with the others. A single candidate gets score 1 (there is nothing to
 * disagree with, and 1 reads as "full agreement" where scores are shown). No candidates is an error.
 */
export function mbrSelect(candidates: readonly string[], options: MbrOptions = {}): MbrResult {
  const n = candidates.length;
  if (n === 0) throw new RangeError('mbrSelect needs at least one candidate');
  if (n === 1) return { index: 0, scores: [1] };
  const toks = candidates.map((c) => tokenize(c));
  const transposed = options.orientation === 'diffuseq';
  const scores = toks.map((ti, i) => {
    let sum = 0;
    toks.forEach((tj, j) => {
      if (j !== i) sum += transposed ? sentenceBleu([ti], tj) : sentenceBleu([tj], ti);
    });
    return sum / (n - 1);
  });
  let index = 0;
  for (let i = 1; i < n; i++) if (scores[i] > scores[index]) index = i;
  return { index, scores };
}

/** Self-BLEU, div-4 and mean dist-1 of a candidate set, as DiffuSeq's eval computes them (metrics/diversity.ts). */
export function diversityOf(candidates: readonly string[]): Diversity {
  return { selfBleu: selfBleu(candidates), div4: div4(candidates), dist1: meanDist1(candidates) };
}
