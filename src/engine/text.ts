/**
 * Pure text helpers of the engine: the target budget, cleanup of decoded WordPiece text, and a light
 * restoration of the source's casing (the shipped tokenizers are uncased, so raw output is lower case).
 */

export interface TargetBudgetSpec {
  ratio: number;
  extra: number;
}

/** The budget `prepare` records when none is given, and the trainer's fallback for data without one. */
export const DEFAULT_TARGET_BUDGET: Readonly<TargetBudgetSpec> = { ratio: 1.5, extra: 6 };

/**
 * Number of target positions for a source of `n` word-piece tokens (without [TASK]/[SEP]):
 * `max(1, min(maxTarget, ceil(ratio · n) + extra))` (docs/model-format.md). The one rule of the engine and
 * `prepare`; the trainer's `data.target_budget` is the same, and test/fixtures/target-budget.json, which both test
 * suites run, keeps them so. The 1e-9 keeps a product that is an integer (1.1 · 50) from rounding up on a
 * floating-point excess.
 */
export function targetBudget(n: number, maxTarget: number, spec: TargetBudgetSpec): number {
  const b = Math.min(maxTarget, Math.ceil(spec.ratio * n - 1e-9) + spec.extra);
  return Math.max(1, b);
}

/** C0 and C1 control characters other than tab, line feed and carriage return (NUL, ESC, DEL, …). */
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/**
 * Terminal escape sequences, whole: CSI (`ESC [ 31 m`, or the one-byte CSI U+009B), OSC (`ESC ] … BEL` or `ESC ] … ESC \\`)
 * and the two-character ones. Removing only the ESC left `[31m` in the text.
 */
const ESCAPE_SEQUENCES = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** `text` without control characters and escape sequences (they carry no words; the tokenizer would [UNK] them). */
export function stripControlChars(text: string): { text: string; removed: number } {
  let removed = 0;
  const out = text
    .replace(ESCAPE_SEQUENCES, () => {
      removed++;
      return '';
    })
    .replace(CONTROL_CHARS, () => {
      removed++;
      return '';
    });
  return { text: out, removed };
}

/** A word quoted in a warning: at most `max` characters, the rest elided with its length. */
export function shortenForMessage(word: string, max = 24): string {
  const chars = [...word];
  return chars.length <= max ? word : `${chars.slice(0, max - 1).join('')}… (${chars.length} characters)`;
}

/** Bracketed special tokens that never belong in output text ([PAD], [SEP], [CLS], [MASK], [UNK], task tokens…). */
const SPECIAL_TOKEN = /\[(?:PAD|SEP|CLS|MASK|UNK|[A-Z][A-Z0-9_]*)\]/g;

const CONTRACTION_SUFFIX = /(\w) ?' ?(s|t|re|ve|ll|d|m)\b/gi;

/**
 * Turns decoded word pieces into clean text: special tokens removed, `##` continuations joined, no space
 * before `. , ! ? ; : ' ) ]` or after `( [`, contractions ("n't", "'s", "'re"…) rejoined, whitespace collapsed.
 */
export function cleanDecoded(raw: string, extraSpecial: readonly string[] = []): string {
  let s = raw;
  for (const tok of extraSpecial) {
    if (tok) {
      s = s.split(tok).join(' ');
    }
  }
  s = s.replace(SPECIAL_TOKEN, ' ');
  s = s.replace(/\s+/g, ' ');
  // WordPiece continuations: "un ##believ ##able" -> "unbelievable"; a stray leading "##" is dropped.
  s = s.replace(/ ?##/g, '');
  // Contractions: "don ' t" / "don 't" / "do n't" -> "don't", "it ' s" -> "it's".
  s = s.replace(/(\w) n ?' ?t\b/gi, "$1n't");
  s = s.replace(CONTRACTION_SUFFIX, "$1'$2");
  // No space before closing punctuation, none after opening brackets.
  s = s.replace(/ +([.,!?;:')\]])/g, '$1');
  s = s.replace(/([([]) +/g, '$1');
  s = s.replace(/\s+/g, ' ').trim();
  return s;
}

/** Lower-cased, whitespace-collapsed form used to compare outputs with inputs. */
export function normalizeForCompare(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}

const WORD = /[A-Za-z][A-Za-z'’-]*/g;

/**
 * Restores casing that an uncased model loses: a word written in the source with capitals anywhere other than
 * its sentence-initial position keeps that form (names, acronyms), a lone "i" becomes "I", and the output's first
 * letter is upper-cased when the source's first letter is. Everything else is left as the model wrote it.
 */
export function restoreCase(output: string, source: string): string {
  if (!output) {
    return output;
  }
  const forms = new Map<string, string>();
  const sentenceStart = /(^|[.!?]\s+|["“(]\s*)$/;
  for (const m of source.matchAll(WORD)) {
    const w = m[0];
    if (w === w.toLowerCase()) {
      continue;
    }
    const before = source.slice(0, m.index);
    const initial = sentenceStart.test(before);
    const key = w.toLowerCase();
    if (initial && !/[A-Z]/.test(w.slice(1))) {
      // "The" at the start of a sentence says nothing about "the" elsewhere.
      continue;
    }
    if (!forms.has(key)) {
      forms.set(key, w);
    }
  }
  let out = output.replace(WORD, (w) => {
    if (w !== w.toLowerCase()) {
      return w;
    }
    const f = forms.get(w);
    if (f) {
      return f;
    }
    if (w === 'i' || w.startsWith("i'")) {
      return 'I' + w.slice(1);
    }
    return w;
  });
  const srcFirst = source.match(/\p{L}/u);
  if (srcFirst && srcFirst[0] !== srcFirst[0].toLowerCase()) {
    out = out.replace(/\p{L}/u, (c) => c.toUpperCase());
  }
  return out;
}
