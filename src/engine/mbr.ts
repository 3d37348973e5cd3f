/**
 * Minimum-Bayes-risk choice among the sampled candidates, and the diversity of the set.
 *
 * MBR score of candidate i: the mean sentence BLEU (NLTK, method4 smoothing, lowercased whitespace tokens; see
 * metrics/bleu.ts) of candidate i as the *hypothesis* against each other candidate j as the reference. The
 * candidate with the highest score wins; ties go to the lowest index. A blank candidate (empty or whitespace only:
 * the model wrote nothing) never wins while any other candidate has text — all scores can tie at 0, and "apply the
 * MBR choice" must not delete the user's selection; it scores 0. When every candidate is blank, index 0 is returned
 * and the caller sees a blank choice (`isBlankCandidate`) and applies nothing.
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

/** A candidate with no text: applying it would delete the selection. */
export function isBlankCandidate(text: string): boolean {
  return text.trim() === '';
}

/**
 * Pick the candidate that agrees most with the others. A single candidate gets score 1 (there is nothing to
 * disagree with, and 1 reads as "full agreement" where scores are shown). No candidates is an error.
 */
export function mbrSelect(candidates: readonly string[], options: MbrOptions = {}): MbrResult {
  const n = candidates.length;
  if (n === 0) throw new RangeError('mbrSelect needs at least one candidate');
  const blank = candidates.map(isBlankCandidate);
  if (n === 1) return { index: 0, scores: [blank[0] ? 0 : 1] };
  const toks = candidates.map((c) => tokenize(c));
  const transposed = options.orientation === 'diffuseq';
  const scores = toks.map((ti, i) => {
    if (blank[i]) return 0;
    let sum = 0;
    toks.forEach((tj, j) => {
      if (j !== i) sum += transposed ? sentenceBleu([ti], tj) : sentenceBleu([tj], ti);
    });
    return sum / (n - 1);
  });
  let index = Math.max(0, blank.indexOf(false));
  for (let i = index + 1; i < n; i++) if (!blank[i] && scores[i] > scores[index]) index = i;
  return { index, scores };
}

/** Self-BLEU, div-4 and mean dist-1 of a candidate set, as DiffuSeq's eval computes them (metrics/diversity.ts). */
export function diversityOf(candidates: readonly string[]): Diversity {
  return { selfBleu: selfBleu(candidates), div4: div4(candidates), dist1: meanDist1(candidates) };
}
