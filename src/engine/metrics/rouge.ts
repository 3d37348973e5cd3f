/**
 * ROUGE-L F-measure as DiffuSeq's eval reports it: `torchmetrics.text.rouge.ROUGEScore()(recover, reference)
 * ['rougeL_fmeasure']` with the defaults (no stemmer, accumulate='best').
 *
 * torchmetrics (functional/text/rouge.py, `_normalize_and_tokenize_text`) follows rouge-score's default tokenizer:
 * lowercase, every run of characters outside [a-z0-9] becomes a space, split on whitespace, drop empty tokens.
 * ROUGE-L: P = LCS/|hyp|, R = LCS/|ref|, F = 2PR/(P+R) (β = 1), all 0 when either side has no tokens or P = R = 0.
 *
 * Several references: rouge-score's `score_multi` keeps, per key, the reference with the highest F ('max', the
 * default here). torchmetrics' accumulate='best' instead picks the reference with the best F of its *first* key
 * (rouge1 with the default keys) and reports that reference's rougeL; 'torchmetrics-best' reproduces that.
 * DiffuSeq always has a single reference, where all of these agree.
 *
 * torchmetrics hands back float32 tensors; these are float64 (differences below 1e-7).
 */

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** rouge-score / torchmetrics default tokenisation. */
export function rougeTokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

/** Length of the longest common subsequence of two token lists (O(|a|·|b|) time, O(|b|) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0; // row[j−1] of the previous i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(up, row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}

function scoreFrom(hits: number, predLen: number, targetLen: number): RougeScore {
  const precision = hits / predLen;
  const recall = hits / targetLen;
  if (precision === 0 && recall === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  return { precision, recall, fmeasure: (2 * precision * recall) / (precision + recall) };
}

const ZERO: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };

/** ROUGE-L of tokenised prediction and target (torchmetrics `_rouge_l_score`). */
export function rougeLTokens(pred: readonly string[], target: readonly string[]): RougeScore {
  if (pred.length === 0 || target.length === 0) return ZERO;
  return scoreFrom(lcsLength(pred, target), pred.length, target.length);
}

/** ROUGE-N of tokenised prediction and target (torchmetrics `_rouge_n_score`); only rouge1 is needed here. */
export function rougeNTokens(pred: readonly string[], target: readonly string[], n: number): RougeScore {
  const grams = (tokens: readonly string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const k = tokens.slice(i, i + n).join('\u0000');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const p = grams(pred);
  const t = grams(target);
  let predLen = 0;
  let targetLen = 0;
  for (const c of p.values()) predLen += c;
  for (const c of t.values()) targetLen += c;
  if (predLen === 0 || targetLen === 0) return ZERO;
  let hits = 0;
  for (const [k, c] of p) hits += Math.min(c, t.get(k) ?? 0);
  return scoreFrom(hits, predLen, targetLen);
}

export interface RougeOptions {
  /** How several references combine (default 'max'). */
  multiReference?: 'max' | 'torchmetrics-best';
}

/** ROUGE-L of `prediction` against one or more references. */
export function rougeL(prediction: string, references: string | readonly string[], options: RougeOptions = {}): RougeScore {
  const refs = typeof references === 'string' ? [references] : references;
  if (refs.length === 0) throw new RangeError('rougeL needs at least one reference');
  const pred = rougeTokenize(prediction);
  const targets = refs.map(rougeTokenize);
  const scores = targets.map((t) => rougeLTokens(pred, t));
  let best = 0;
  if ((options.multiReference ?? 'max') === 'max') {
    for (let i = 1; i < scores.length; i++) if (scores[i].fmeasure > scores[best].fmeasure) best = i;
  } else {
    // torch.argmax returns the first maximum.
    const r1 = targets.map((t) => rougeNTokens(pred, t, 1).fmeasure);
    for (let i = 1; i < r1.length; i++) if (r1[i] > r1[best]) best = i;
  }
  return scores[best];
}

/** Mean ROUGE-L F over (prediction, reference) pairs, DiffuSeq's "avg ROUGE-L score". */
export function meanRougeL(predictions: readonly string[], references: readonly string[]): number {
  if (predictions.length !== references.length) throw new RangeError('predictions and references differ in length');
  if (predictions.length === 0) return 0;
  let sum = 0;
  predictions.forEach((p, i) => (sum += rougeL(p, references[i]).fmeasure));
  return sum / predictions.length;
}
