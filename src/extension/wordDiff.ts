/**
 * A small word-level diff (longest common subsequence over word tokens) for the candidates panel.
 * Pure: no vscode, no DOM. Whitespace is not diffed: the texts are split into words and punctuation
 * marks, the LCS is taken over those tokens, and each part of the result is its tokens joined as in the
 * source text (a single space where the source had any whitespace, none before "." in "meeting.").
 */

export type DiffKind = 'same' | 'removed' | 'added';

export interface DiffPart {
  kind: DiffKind;
  /** The tokens of this part, joined with one space where their text had whitespace between them. */
  text: string;
  /** Whether whitespace precedes this part (the panel puts one space before it). */
  space: boolean;
}

interface Token {
  text: string;
  /** Preceded by whitespace in its text. */
  space: boolean;
}

/** Word tokens: runs of letters/digits/underscore with inner apostrophes or hyphens, or one other non-space char. */
const TOKEN = /[\p{L}\p{N}_]+(?:['’\-][\p{L}\p{N}_]+)*|[^\s\p{L}\p{N}_]/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    out.push({ text: m[0], space: m.index > 0 && /\s/.test(text[m.index - 1]) });
  }
  return out;
}

/**
 * Above this many LCS table cells the diff gives up on alignment and reports the whole original as
 * removed and the whole candidate as added (the panel only shows sentences; this keeps memory bounded).
 */
export const MAX_CELLS = 4_000_000;

/**
 * Word diff of `original` → `candidate`. Within a changed stretch, removals come before additions.
 * Adjacent parts of the same kind are merged.
 */
export function wordDiff(original: string, candidate: string): DiffPart[] {
  const ta = tokens(original);
  const tb = tokens(candidate);
  const a = ta.map((t) => t.text);
  const b = tb.map((t) => t.text);
  // Same tokens take their spacing from the candidate (what would be applied).
  const ops: Array<{ kind: DiffKind; token: Token }> = [];

  // Common prefix and suffix are cheap and shrink the table.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  for (let i = 0; i < start; i++) ops.push({ kind: 'same', token: tb[i] });

  const n = endA - start;
  const m = endB - start;
  if (n > 0 || m > 0) {
    if (n === 0 || m === 0 || (n + 1) * (m + 1) > MAX_CELLS) {
      for (let i = start; i < endA; i++) ops.push({ kind: 'removed', token: ta[i] });
      for (let j = start; j < endB; j++) ops.push({ kind: 'added', token: tb[j] });
    } else {
      // lcs[i][j] = LCS length of a[start+i..endA) and b[start+j..endB) (suffix table, so backtracking runs forward).
      const w = m + 1;
      const lcs = new Uint32Array((n + 1) * w);
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          lcs[i * w + j] =
            a[start + i] === b[start + j]
              ? lcs[(i + 1) * w + j + 1] + 1
              : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
        }
      }
      let i = 0;
      let j = 0;
      const removed: Token[] = [];
      const added: Token[] = [];
      const flush = () => {
        for (const t of removed) ops.push({ kind: 'removed', token: t });
        for (const t of added) ops.push({ kind: 'added', token: t });
        removed.length = 0;
        added.length = 0;
      };
      while (i < n || j < m) {
        if (i < n && j < m && a[start + i] === b[start + j]) {
          flush();
          ops.push({ kind: 'same', token: tb[start + j] });
          i++;
          j++;
        } else if (j >= m || (i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
          removed.push(ta[start + i]);
          i++;
        } else {
          added.push(tb[start + j]);
          j++;
        }
      }
      flush();
    }
  }
  for (let j = endB; j < b.length; j++) ops.push({ kind: 'same', token: tb[j] });

  const parts: DiffPart[] = [];
  for (const op of ops) {
    const last = parts[parts.length - 1];
    if (last && last.kind === op.kind) last.text += (op.token.space ? ' ' : '') + op.token.text;
    else parts.push({ kind: op.kind, text: op.token.text, space: parts.length > 0 && op.token.space });
  }
  return parts;
}

/** Counts of changed tokens, for the panel's one-line summary ("3 words changed"). */
export function diffStats(parts: readonly DiffPart[]): { same: number; removed: number; added: number } {
  const s = { same: 0, removed: 0, added: 0 };
  for (const p of parts) s[p.kind] += tokenize(p.text).length;
  return s;
}
