/**
 * Diversity measures as DiffuSeq's scripts/eval_seq2seq.py computes them (on `tokenize`d text: lowercased,
 * Python-split):
 *
 * - dist-1 (`distinct_n_gram([recover], 1)`, averaged over sentences): distinct unigrams / unigrams of one
 *   sentence, 0 for an empty sentence. (Called on a whole list, DiffuSeq's function returns 0 as soon as one
 *   sentence is empty; the eval only ever calls it on one sentence, which is what is reproduced.)
 * - self-BLEU (`diversityOfSet`): the mean, over unordered pairs i < j, of `get_bleu(s_i, s_j)` =
 *   `sentence_bleu([s_i], s_j, method4)` — s_j is NLTK's hypothesis, s_i its reference — and 0 for fewer than two
 *   sentences.
 * - div-4 (`distinct_n_gram_inter_sent(sentences, 4)`): distinct 4-grams / all 4-grams pooled over the set, 0 when
 *   the set has no 4-gram.
 */
import { ngramCounts, sentenceBleu, tokenize, type TokenizeOptions } from './bleu';

/** Distinct n-grams / n-grams of one token list; 0 when it has none. */
export function distinctNgramRatio(tokens: readonly string[], n: number): number {
  const counts = ngramCounts(tokens, n);
  let total = 0;
  for (const c of counts.values()) total += c;
  return total === 0 ? 0 : counts.size / total;
}

/** dist-1 of one sentence. */
export function dist1(sentence: string, options: TokenizeOptions = {}): number {
  return distinctNgramRatio(tokenize(sentence, options), 1);
}

/** Mean dist-1 over sentences (0 for none). */
export function meanDist1(sentences: readonly string[], options: TokenizeOptions = {}): number {
  if (sentences.length === 0) return 0;
  let sum = 0;
  for (const s of sentences) sum += dist1(s, options);
  return sum / sentences.length;
}

/** Distinct n-grams / n-grams pooled over all sentences; 0 when there are none. */
export function distinctNgramsOfSet(sentences: readonly string[], n: number, options: TokenizeOptions = {}): number {
  const pooled = new Map<string, number>();
  let total = 0;
  for (const s of sentences) {
    for (const [k, c] of ngramCounts(tokenize(s, options), n)) {
      pooled.set(k, (pooled.get(k) ?? 0) + c);
      total += c;
    }
  }
  return total === 0 ? 0 : pooled.size / total;
}

/** div-4 of a candidate set. */
export function div4(sentences: readonly string[], options: TokenizeOptions = {}): number {
  return distinctNgramsOfSet(sentences, 4, options);
}

/** DiffuSeq's self-BLEU of a set (pairs i < j, hypothesis s_j, reference s_i). */
export function selfBleu(sentences: readonly string[], options: TokenizeOptions = {}): number {
  const toks = sentences.map((s) => tokenize(s, options));
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < toks.length; i++) {
    for (let j = i + 1; j < toks.length; j++) {
      sum += sentenceBleu([toks[i]], toks[j]);
      pairs++;
    }
  }
  return pairs === 0 ? 0 : sum / pairs;
}
