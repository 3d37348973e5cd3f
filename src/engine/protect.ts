/**
 * Protected spans: the parts of a selection that must come back byte-identical from a rewrite (URLs, e-mail
 * addresses, Markdown link targets, code, HTML tags, LaTeX, numbers, dates, versions, @mentions, file paths), found
 * as pure functions over the text, and the masking that hides each one behind a one-character marker while the text
 * is segmented. docs/engine.md ("Protected spans") says how the model is made to keep them.
 */
import type { TargetAnchor } from './batch';
import type { SourceWord } from './copyRestore';

export type SpanKind =
  | 'fenced-code'
  | 'inline-code'
  | 'math'
  | 'latex'
  | 'html'
  | 'link-open'
  | 'link-target'
  | 'url'
  | 'email'
  | 'mention'
  | 'path'
  | 'date'
  | 'version'
  | 'number'
  | 'reserved';

export interface ProtectedSpan {
  /** UTF-16 offsets into the text: `text.slice(start, end)` is the span. */
  start: number;
  end: number;
  kind: SpanKind;
}

const MONTHS =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
/** A day of the month: 1–31, with an optional ordinal suffix. */
const DAY = '(?:[12]\\d|3[01]|0?[1-9])(?:st|nd|rd|th)?';
/** A number as people write it: sign, currency, thousands separators, decimals, a percent sign or ordinal suffix. */
const NUMBER = '[-+−]?[$€£¥]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:%|st|nd|rd|th|k|K|M|x|×)?';
/** Where a word-like span may begin and end: not inside a longer word. */
const L = '(?<![\\p{L}\\p{N}_])';
const R = '(?![\\p{L}\\p{N}_])';
/** Common top-level domains for addresses written without a scheme (`example.com/docs`). */
const TLD = '(?:com|org|net|io|dev|edu|gov|co|uk|de|fr|app|ai|info|me|ly|gg|sh|rs|xyz)';
const FILE_EXT =
  '(?:ts|tsx|js|jsx|mjs|cjs|json|jsonl|md|py|ipynb|txt|yml|yaml|toml|ini|cfg|sh|bash|ps1|bat|c|h|cc|cpp|hpp|rs|go|java|kt|rb|php|cs|swift|html|css|scss|xml|csv|tsv|sql|lock|log|pdf|png|jpe?g|gif|svg|tex|bib|onnx|bin|pt|zip|gz|tar|vsix|exe|dll|so|dylib|env)';

/**
 * The finders, in priority order: a later one never takes characters an earlier one took. Repetitions are bounded
 * (a label of 63 characters, a path part of 255, ten dots…) so that a pathological input like "a.a.a.…" costs time
 * linear in its length instead of quadratic.
 */
const FINDERS: { kind: SpanKind; re: RegExp }[] = [
  // Fenced code: from a line that starts with ``` or ~~~ to the line that closes it (or the end of the text).
  { kind: 'fenced-code', re: /^[ \t]*(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:\n[ \t]*\1[ \t]*(?=\n|$)|$(?![\s\S]))/gmu },
  // Inline code: a run of backticks to the next run of the same length.
  { kind: 'inline-code', re: /(`+)(?!`)[\s\S]{1,1000}?(?<!`)\1(?!`)/gu },
  // Display and inline math: $$…$$, \[…\], \(…\), and $…$ by pandoc's rule (no space inside the dollars, no digit
  // right after the closing one), so "$4,250 and $5" is two amounts, not a formula.
  { kind: 'math', re: /\$\$[\s\S]+?\$\$|\\\[[\s\S]+?\\\]|\\\([\s\S]+?\\\)|\$(?=\S)(?:\\\$|[^$\n]){1,500}?(?<=\S)\$(?!\d)/gu },
  // Windows paths before LaTeX, whose commands also start with a backslash.
  { kind: 'path', re: new RegExp(`${L}[A-Za-z]:\\\\(?:[\\w.@+-]+\\\\)*[\\w.@+-]*[\\w@+-]`, 'gu') },
  // LaTeX commands with their optional and braced arguments (one level of nested braces), and escaped symbols.
  { kind: 'latex', re: /\\[A-Za-z]+\*?(?:\s*\[[^\]\n]*\]|\s*\{(?:[^{}]|\{[^{}]*\})*\})*|\\[%&#_{}$~^\\,;!]/gu },
  // HTML tags and comments (the text between tags is prose and is rewritten).
  { kind: 'html', re: /<!--[\s\S]*?-->|<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,1000})?\/?>/gu },
  // Markdown links and images: `[` (or `![`) opens, `](target)` / `][ref]` closes; the text between is rewritten.
  { kind: 'link-open', re: /!?\[(?=[^\]\n]+\](?:\([^)\s]*(?:\s+"[^"]*")?\)|\[[^\]\n]*\]))/gu },
  { kind: 'link-target', re: /\](?:\([^)\s]*(?:\s+"[^"]*")?\)|\[[^\]\n]*\])/gu },
  // E-mail addresses before addresses, whose bare-domain form would take the part after the @.
  { kind: 'email', re: new RegExp(`${L}[\\p{L}\\p{N}._%+-]{1,64}@[\\p{L}\\p{N}-]{1,63}(?:\\.[\\p{L}\\p{N}-]{1,63}){1,10}${R}`, 'gu') },
  // Addresses: with a scheme, starting with www., or a bare domain with a common TLD; trailing punctuation is prose.
  {
    kind: 'url',
    re: new RegExp(
      `<?(?:(?:https?|ftp|file)://|mailto:|www\\.)[^\\s<>"]*[^\\s<>".,;:!?'’)\\]]|${L}[a-z0-9-]{1,63}(?:\\.[a-z0-9-]{1,63}){0,10}\\.${TLD}(?:/[^\\s<>"]*[^\\s<>".,;:!?'’)\\]])?${R}`,
      'giu',
    ),
  },
  // @mentions (GitHub users and teams, npm scopes).
  { kind: 'mention', re: new RegExp(`${L}@[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?${R}`, 'gu') },
  // Dates before paths, so 12/03/2026 is a date: ISO, numeric with slashes or dots, "12 March (2026)",
  // "March 12(th)(, 2026)", "March 2026".
  {
    kind: 'date',
    re: new RegExp(
      [
        `${L}\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2})?)?${R}`,
        `${L}\\d{1,2}[/.]\\d{1,2}[/.]\\d{2,4}${R}`,
        `${L}${DAY}\\s+${MONTHS}(?:,?\\s+\\d{4})?${R}`,
        `${L}${MONTHS}\\s+${DAY}(?:,?\\s+\\d{4})?${R}`,
        `${L}${MONTHS}\\s+\\d{4}${R}`,
      ].join('|'),
      'gu',
    ),
  },
  // File paths: absolute, home- or dot-relative, two or more slashes, or one slash and an extension; a bare file
  // name with a known extension. "and/or" and "TCP/IP" are prose.
  {
    kind: 'path',
    re: new RegExp(
      [
        `${L}(?:~|\\.{1,2})?/(?:[\\w.@+-]{1,255}/){0,30}[\\w.@+-]{0,255}[\\w@+-]`,
        `${L}[\\w.@+-]{1,255}(?:/[\\w.@+-]{1,255}){2,30}${R}`,
        `${L}[\\w.@+-]{1,255}/[\\w@+-]{1,255}\\.${FILE_EXT}${R}`,
        `${L}[\\w@+-]{1,255}(?:\\.[\\w@+-]{1,255}){0,10}\\.${FILE_EXT}${R}`,
      ].join('|'),
      'gu',
    ),
  },
  // Versions: two or more dots (2.4.1), or a "v" before a number (v2, v2.4), with pre-release/build tags.
  {
    kind: 'version',
    re: new RegExp(
      `${L}(?:v\\d{1,9}(?:\\.\\d{1,9}){0,5}|\\d{1,9}\\.\\d{1,9}\\.\\d{1,9}(?:\\.\\d{1,9}){0,5})(?:-[0-9A-Za-z]+(?:\\.[0-9A-Za-z]+)*)?(?:\\+[0-9A-Za-z]+(?:\\.[0-9A-Za-z]+)*)?${R}`,
      'gu',
    ),
  },
  // Times of day (9:30, 14:05:10) before plain numbers, which would take the hour alone.
  { kind: 'number', re: new RegExp(`${L}\\d{1,2}:\\d{2}(?::\\d{2})?(?:\\s?[ap]\\.?m\\.?)?${R}`, 'giu') },
  { kind: 'number', re: new RegExp(`${L}${NUMBER}${R}`, 'gu') },
];

/**
 * The protected spans of `text`, in order and never overlapping. Finders run in priority order (code first, then
 * math and LaTeX, HTML, Markdown link parts, addresses, mentions, paths, dates, versions, numbers); a match that
 * overlaps an earlier finder's span is skipped. Characters of Unicode's private-use area are spans of their own
 * (`reserved`): the masking below uses them as markers.
 */
export function findProtectedSpans(text: string): ProtectedSpan[] {
  const taken: ProtectedSpan[] = [];
  const overlaps = (s: number, e: number): boolean => taken.some((t) => s < t.end && e > t.start);
  for (const m of text.matchAll(/[\uE000-\uF8FF]/gu)) {
    taken.push({ start: m.index, end: m.index + m[0].length, kind: 'reserved' });
  }
  for (const { kind, re } of FINDERS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      let start = m.index;
      let end = start + m[0].length;
      if (kind === 'fenced-code') {
        // The fence's own indentation is whitespace of the line, not part of the block.
        start += /^[ \t]*/.exec(m[0])![0].length;
      }
      if (kind === 'url' && m[0].startsWith('<') && text[end] === '>') {
        end++; // an autolink <https://…> keeps its brackets
      }
      if (end > start && !overlaps(start, end)) {
        taken.push({ start, end, kind });
      }
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}

/** First marker character: span k of a text is masked as U+E000 + k (the private-use area, which text never needs). */
export const MARKER_BASE = 0xe000;
export const MAX_MARKERS = 0xf8ff - MARKER_BASE + 1;

export interface Masked {
  /** The text with span k replaced by the character U+E000 + k. */
  text: string;
  /** The spans' original text, by marker index. */
  spans: string[];
  kinds: SpanKind[];
}

/**
 * Replaces every protected span of `text` with one marker character, so that segmentation sees one word where a URL
 * or a code block was (a multi-line block becomes one character on its own line). `unmask` undoes it exactly.
 * Spans beyond the marker range (6400 of them) are left in the text unprotected.
 */
export function mask(text: string, spans: readonly ProtectedSpan[] = findProtectedSpans(text)): Masked {
  let out = '';
  let at = 0;
  const originals: string[] = [];
  const kinds: SpanKind[] = [];
  for (const s of spans.slice(0, MAX_MARKERS)) {
    out += text.slice(at, s.start) + String.fromCharCode(MARKER_BASE + originals.length);
    originals.push(text.slice(s.start, s.end));
    kinds.push(s.kind);
    at = s.end;
  }
  return { text: out + text.slice(at), spans: originals, kinds };
}

/** The marker index of character `ch`, or -1. */
export function markerIndex(ch: string, spanCount: number): number {
  const k = ch.length === 1 ? ch.charCodeAt(0) - MARKER_BASE : -1;
  return k >= 0 && k < spanCount ? k : -1;
}

/** `masked` with every marker replaced by its span's original text. */
export function unmask(masked: string, spans: readonly string[]): string {
  return masked.replace(/[\uE000-\uF8FF]/gu, (ch) => {
    const k = markerIndex(ch, spans.length);
    return k >= 0 ? spans[k] : ch;
  });
}

/** A masked piece of text has nothing to rewrite when all that is left beside its markers is punctuation and space. */
export function onlyProtected(masked: string): boolean {
  return !/[\p{L}\p{N}]/u.test(masked.replace(/[\uE000-\uF8FF]/gu, ''));
}

/**
 * A piece of a masked text (one segment) with its markers renumbered from 0 in order, and the spans and kinds they
 * stand for, so each segment has its own span list.
 */
export function localMask(piece: string, whole: Masked): Masked {
  const spans: string[] = [];
  const kinds: SpanKind[] = [];
  const text = piece.replace(/[\uE000-\uF8FF]/gu, (ch) => {
    const k = markerIndex(ch, whole.spans.length);
    if (k < 0) {
      return ch;
    }
    spans.push(whole.spans[k]);
    kinds.push(whole.kinds[k]);
    return String.fromCharCode(MARKER_BASE + spans.length - 1);
  });
  return { text, spans, kinds };
}

/**
 * Where each protected span's placeholder is held in the target: at its own index in the source, so a candidate that
 * copies the source's frame finds it where it left it (docs/engine.md, "Protected spans"). The target is longer than
 * the source (ratio ≥ 1), so it fits; if a budget were shorter, the anchors are pushed back to fit, in order.
 */
export function anchorsOf(words: readonly SourceWord[], budget: number): TargetAnchor[] {
  const anchors: TargetAnchor[] = [];
  let pos = 0;
  for (const w of words) {
    if (w.span !== undefined) {
      anchors.push({ pos, id: w.ids[0] });
    }
    pos += w.ids.length;
  }
  for (let k = anchors.length - 1, limit = budget - 1; k >= 0; k--, limit--) {
    anchors[k].pos = Math.max(0, Math.min(anchors[k].pos, limit));
  }
  return anchors;
}
