/**
 * SARI (Xu et al. 2016) exactly as EASSE's `easse.sari.corpus_sari` computes it with its defaults
 * (feralvam/easse, easse/sari.py: lowercase=True, tokenizer='13a', legacy=False, use_f1_for_deletion=True,
 * use_paper_version=False), plus the options EASSE has.
 *
 * Per sentence and n = 1..4 (n-gram *strings* from the normalised text, R = number of references, reference
 * counts summed over the references, Counter arithmetic keeping positive counts only):
 *   add  (sets):     sys∖orig, refs∖orig, and (sys∖orig) ∩ refs
 *   keep (weighted): orig·R ∧ sys·R, orig·R ∧ refs, and their ∧
 *   del  (weighted): orig·R − sys·R, orig·R − refs, and their ∧
 * The numerators/denominators are summed over the corpus per n. Default (EASSE's "macro", the released Java
 * version): per n, P = correct/sys, R = correct/ref (0 when the denominator is 0), F1 (0 unless both P, R > 0);
 * add/keep/del = mean over n of F1 (of P alone for deletion when useF1ForDeletion=false, as in the paper and the
 * original sentence-level code); SARI = 100·(add + keep + del)/3.
 * usePaperVersion ("micro"): average P and R over n first, then F1 of the averages.
 *
 * Note the EASSE default uses F1, not precision, for deletion; pass useF1ForDeletion=false for the paper's
 * precision-only deletion.
 */

/** sacrebleu's 13a tokenizer (tokenizers/tokenizer_13a.py + tokenizer_re.py), i.e. mteval-v13a's. */
export function tokenize13a(line: string): string {
  line = line.split('<skipped>').join('');
  line = line.split('-\n').join('');
  line = line.split('\n').join(' ');
  if (line.includes('&')) {
    line = line.split('&quot;').join('"');
    line = line.split('&amp;').join('&');
    line = line.split('&lt;').join('<');
    line = line.split('&gt;').join('>');
  }
  line = ` ${line} `;
  // Punctuation except apostrophe, comma, hyphen and period; then period/comma unless next to digits on that side;
  // then a dash after a digit. Python's re.sub and JS replace(/g) both scan left to right without overlaps.
  line = line.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  line = line.replace(/([^0-9])([.,])/g, '$1 $2 ');
  line = line.replace(/([.,])([^0-9])/g, ' $1 $2');
  line = line.replace(/([0-9])(-)/g, '$1 $2 ');
  return pySplitJoin(line);
}

/** ' '.join(line.split()) with Python's whitespace set. */
function pySplitJoin(line: string): string {
  return line
    .split(/[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/)
    .filter((w) => w.length > 0)
    .join(' ');
}

export type SariTokenizer = '13a' | 'none';

export interface SariOptions {
  /** Default true (EASSE's default). */
  lowercase?: boolean;
  /** Default '13a'. 'none' leaves the text as is (sacrebleu's BaseTokenizer). */
  tokenizer?: SariTokenizer;
  /**
   * EASSE's legacy mode: the original sentences are not normalised at all (neither lowercased nor tokenised) and
   * nothing is lowercased, reproducing a bug of the original Java implementation.
   */
  legacy?: boolean;
  /** Default true (EASSE's default); false: precision only for deletion, as in the paper. */
  useF1ForDeletion?: boolean;
  /** Default false: EASSE's macro averaging (F per n, then mean); true: the paper's micro version. */
  usePaperVersion?: boolean;
}

/** EASSE's `utils.preprocessing.normalize` for the tokenizers supported here. */
export function normalizeForSari(sentence: string, lowercase = true, tokenizer: SariTokenizer = '13a'): string {
  if (lowercase) sentence = sentence.toLowerCase();
  return tokenizer === '13a' ? tokenize13a(sentence) : sentence;
}

const NGRAM_ORDER = 4;

type Counter = Map<string, number>;

function extractNgrams(line: string): Counter[] {
  const tokens = line.split(/[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/).filter((w) => w.length > 0);
  const out: Counter[] = [];
  for (let n = 1; n <= NGRAM_ORDER; n++) {
    const c: Counter = new Map();
    for (let i = 0; i + n <= tokens.length; i++) {
      const g = tokens.slice(i, i + n).join(' ');
      c.set(g, (c.get(g) ?? 0) + 1);
    }
    out.push(c);
  }
  return out;
}

function scale(c: Counter, v: number): Counter {
  const out: Counter = new Map();
  for (const [k, x] of c) out.set(k, x * v);
  return out;
}

/** Counter & Counter: min of counts, positive only. */
function intersect(a: Counter, b: Counter): Counter {
  const out: Counter = new Map();
  for (const [k, x] of a) {
    const m = Math.min(x, b.get(k) ?? 0);
    if (m > 0) out.set(k, m);
  }
  return out;
}

/** Counter − Counter: positive differences only. */
function subtract(a: Counter, b: Counter): Counter {
  const out: Counter = new Map();
  for (const [k, x] of a) {
    const d = x - (b.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

function total(c: Counter): number {
  let s = 0;
  for (const x of c.values()) s += x;
  return s;
}

/** Corpus n-gram statistics (EASSE `compute_ngram_stats`), each an array over n = 1..4. */
export interface SariStats {
  addSysCorrect: number[];
  addSysTotal: number[];
  addRefTotal: number[];
  keepSysCorrect: number[];
  keepSysTotal: number[];
  keepRefTotal: number[];
  delSysCorrect: number[];
  delSysTotal: number[];
  delRefTotal: number[];
}

/**
 * @param refsSents EASSE's shape: one list per reference *set*, each as long as the corpus
 *   (refsSents[r][i] is reference r of sentence i).
 */
export function computeNgramStats(
  origSents: readonly string[],
  sysSents: readonly string[],
  refsSents: readonly (readonly string[])[],
): SariStats {
  if (origSents.length !== sysSents.length) {
    throw new RangeError("Original sentences and system sentences don't have the same number of samples");
  }
  if (!refsSents.every((r) => r.length === origSents.length)) {
    throw new RangeError("Reference sentences don't have the shape (n_references, n_samples)");
  }
  const z = (): number[] => new Array<number>(NGRAM_ORDER).fill(0);
  const st: SariStats = {
    addSysCorrect: z(),
    addSysTotal: z(),
    addRefTotal: z(),
    keepSysCorrect: z(),
    keepSysTotal: z(),
    keepRefTotal: z(),
    delSysCorrect: z(),
    delSysTotal: z(),
    delRefTotal: z(),
  };
  const numRefs = refsSents.length;
  for (let i = 0; i < origSents.length; i++) {
    const orig = extractNgrams(origSents[i]);
    const sys = extractNgrams(sysSents[i]);
    const refs: Counter[] = Array.from({ length: NGRAM_ORDER }, () => new Map());
    for (let r = 0; r < numRefs; r++) {
      const ref = extractNgrams(refsSents[r][i]);
      for (let n = 0; n < NGRAM_ORDER; n++) for (const [k, c] of ref[n]) refs[n].set(k, (refs[n].get(k) ?? 0) + c);
    }
    for (let n = 0; n < NGRAM_ORDER; n++) {
      const o = orig[n];
      const s = sys[n];
      const rf = refs[n];
      // ADD (binary)
      let sysNotOrig = 0;
      let sysNotOrigInRefs = 0;
      for (const k of s.keys()) {
        if (!o.has(k)) {
          sysNotOrig++;
          if (rf.has(k)) sysNotOrigInRefs++;
        }
      }
      let refNotOrig = 0;
      for (const k of rf.keys()) if (!o.has(k)) refNotOrig++;
      st.addSysTotal[n] += sysNotOrig;
      st.addRefTotal[n] += refNotOrig;
      st.addSysCorrect[n] += sysNotOrigInRefs;
      // KEEP (weighted by the number of references)
      const oR = scale(o, numRefs);
      const sR = scale(s, numRefs);
      const origAndSys = intersect(oR, sR);
      const origAndRef = intersect(oR, rf);
      st.keepSysTotal[n] += total(origAndSys);
      st.keepRefTotal[n] += total(origAndRef);
      st.keepSysCorrect[n] += total(intersect(origAndSys, origAndRef));
      // DELETE (weighted)
      const origNotSys = subtract(oR, sR);
      const origNotRef = subtract(oR, rf);
      st.delSysTotal[n] += total(origNotSys);
      st.delRefTotal[n] += total(origNotRef);
      st.delSysCorrect[n] += total(intersect(origNotSys, origNotRef));
    }
  }
  return st;
}

function precisionRecall(correct: number, sysTotal: number, refTotal: number): [number, number] {
  return [sysTotal > 0 ? correct / sysTotal : 0, refTotal > 0 ? correct / refTotal : 0];
}

export interface SariOperationScores {
  add: number;
  keep: number;
  del: number;
}

/** EASSE `compute_macro_sari` / `compute_micro_sari` on corpus statistics; scores in [0, 1]. */
export function sariFromStats(st: SariStats, useF1ForDeletion = true, usePaperVersion = false): SariOperationScores {
  if (!usePaperVersion) {
    // Macro: F1 per n-gram order (0 unless both P and R are positive), then the mean over orders.
    const f1 = (c: number, s: number, r: number): number => {
      const [p, rc] = precisionRecall(c, s, r);
      return p > 0 && rc > 0 ? (2 * p * rc) / (p + rc) : 0;
    };
    let add = 0;
    let keep = 0;
    let del = 0;
    for (let n = 0; n < NGRAM_ORDER; n++) {
      add += f1(st.addSysCorrect[n], st.addSysTotal[n], st.addRefTotal[n]) / NGRAM_ORDER;
      keep += f1(st.keepSysCorrect[n], st.keepSysTotal[n], st.keepRefTotal[n]) / NGRAM_ORDER;
      del +=
        (useF1ForDeletion
          ? f1(st.delSysCorrect[n], st.delSysTotal[n], st.delRefTotal[n])
          : precisionRecall(st.delSysCorrect[n], st.delSysTotal[n], st.delRefTotal[n])[0]) / NGRAM_ORDER;
    }
    return { add, keep, del };
  }
  // Micro (paper): average P and R over orders, then F1 of the averages (0 only when both are 0).
  const avg = (c: number[], s: number[], r: number[]): [number, number] => {
    let p = 0;
    let rc = 0;
    for (let n = 0; n < NGRAM_ORDER; n++) {
      const [a, b] = precisionRecall(c[n], s[n], r[n]);
      p += a;
      rc += b;
    }
    return [p / NGRAM_ORDER, rc / NGRAM_ORDER];
  };
  const f1 = ([p, r]: [number, number]): number => (p > 0 || r > 0 ? (2 * p * r) / (p + r) : 0);
  const a = avg(st.addSysCorrect, st.addSysTotal, st.addRefTotal);
  const k = avg(st.keepSysCorrect, st.keepSysTotal, st.keepRefTotal);
  const d = avg(st.delSysCorrect, st.delSysTotal, st.delRefTotal);
  return { add: f1(a), keep: f1(k), del: useF1ForDeletion ? f1(d) : d[0] };
}

/** EASSE `get_corpus_sari_operation_scores`: add, keep, del on the 0–100 scale. */
export function corpusSariOperationScores(
  origSents: readonly string[],
  sysSents: readonly string[],
  refsSents: readonly (readonly string[])[],
  options: SariOptions = {},
): SariOperationScores {
  const legacy = options.legacy ?? false;
  const lowercase = legacy ? false : (options.lowercase ?? true);
  const tokenizer = options.tokenizer ?? '13a';
  const orig = legacy ? origSents : origSents.map((s) => normalizeForSari(s, lowercase, tokenizer));
  const sys = sysSents.map((s) => normalizeForSari(s, lowercase, tokenizer));
  const refs = refsSents.map((set) => set.map((s) => normalizeForSari(s, lowercase, tokenizer)));
  const sc = sariFromStats(computeNgramStats(orig, sys, refs), options.useF1ForDeletion ?? true, options.usePaperVersion ?? false);
  return { add: 100 * sc.add, keep: 100 * sc.keep, del: 100 * sc.del };
}

/** EASSE `corpus_sari` (0–100). */
export function corpusSari(
  origSents: readonly string[],
  sysSents: readonly string[],
  refsSents: readonly (readonly string[])[],
  options: SariOptions = {},
): number {
  const { add, keep, del } = corpusSariOperationScores(origSents, sysSents, refsSents, options);
  return (add + keep + del) / 3;
}

/** Corpus SARI of a single sentence with its references (refs given per sentence, not per set). */
export function sentenceSari(orig: string, sys: string, refs: readonly string[], options: SariOptions = {}): number {
  return corpusSari(
    [orig],
    [sys],
    refs.map((r) => [r]),
    options,
  );
}
