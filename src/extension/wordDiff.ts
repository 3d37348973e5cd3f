/**
 * The word-level diff of the candidates panel. Pure: no vscode, no DOM. Whitespace is not diffed: the texts are
 * split into words and punctuation marks, jsdiff's `diffArrays` (Myers' O(ND) algorithm: a shortest edit script, so
 * a longest common subsequence of the tokens) aligns those, and each part of the result is its tokens joined as in
 * the source text (a single space where the source had any whitespace, none before "." in "meeting.").
 */
import { diffArrays } from 'diff';

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
  /** Where it is in its text: [from, to). */
  from: number;
  to: number;
}

/** Word tokens: runs of letters/digits/underscore with inner apostrophes or hyphens, or one other non-space char. */
const TOKEN = /[\p{L}\p{N}_]+(?:['’-][\p{L}\p{N}_]+)*|[^\s\p{L}\p{N}_]/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    out.push({ text: m[0], space: m.index > 0 && /\s/.test(text[m.index - 1]), from: m.index, to: m.index + m[0].length });
  }
  return out;
}

/**
 * Above this many edits (tokens removed + added) the diff gives up on alignment and reports the whole original as
 * removed and the whole candidate as added: the panel only shows sentences, and this bounds the work (Myers' is
 * O((N+M)·D) for D edits).
 */
export const MAX_EDIT_LENGTH = 2000;

/**
 * Word diff of `original` → `candidate`. Within a changed stretch, removals come before additions.
 * Adjacent parts of the same kind are merged.
 */
export function wordDiff(original: string, candidate: string): DiffPart[] {
  const parts: DiffPart[] = [];
  for (const op of align(original, candidate)) {
    const last = parts[parts.length - 1];
    if (last && last.kind === op.kind) last.text += (op.token.space ? ' ' : '') + op.token.text;
    else parts.push({ kind: op.kind, text: op.token.text, space: parts.length > 0 && op.token.space });
  }
  return parts;
}

/** A token of the diff: the candidate's (same, added) or the original's (removed); `orig`: a same token's original twin. */
interface Op {
  kind: DiffKind;
  token: Token;
  orig?: Token;
}

/** The token alignment behind wordDiff: one op per token, in the order the diff shows them. */
function align(original: string, candidate: string): Op[] {
  const ta = tokens(original);
  const tb = tokens(candidate);
  const a = ta.map((t) => t.text);
  const b = tb.map((t) => t.text);
  // The common prefix and suffix stay 'same' even when the middle is too different to align.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  // Same tokens take their spacing from the candidate (what would be applied).
  const ops: Op[] = tb.slice(0, start).map((token, k) => ({ kind: 'same', token, orig: ta[k] }));
  const changes = diffArrays(a.slice(start, endA), b.slice(start, endB), { maxEditLength: MAX_EDIT_LENGTH });
  if (!changes) {
    for (let i = start; i < endA; i++) ops.push({ kind: 'removed', token: ta[i] });
    for (let j = start; j < endB; j++) ops.push({ kind: 'added', token: tb[j] });
  } else {
    let i = start; // next token of the original
    let j = start; // next token of the candidate
    for (const c of changes) {
      for (let k = 0; k < c.value.length; k++) {
        if (c.removed) ops.push({ kind: 'removed', token: ta[i++] });
        else if (c.added) ops.push({ kind: 'added', token: tb[j++] });
        else ops.push({ kind: 'same', token: tb[j++], orig: ta[i++] });
      }
    }
  }
  for (let j = endB; j < b.length; j++) ops.push({ kind: 'same', token: tb[j], orig: ta[endA + j - endB] });
  return ops;
}

/**
 * One changed stretch of a candidate's word diff, as an edit of the original: replace original[from, to) with
 * `text`. The k-th hunk is the k-th run of removed/added parts in wordDiff's output.
 */
export interface DiffHunk {
  from: number;
  to: number;
  text: string;
}

/**
 * The changed stretches of `candidate` against `original`, as edits of the original's characters: the words between
 * stay exactly as the original has them (spacing and line breaks included), and a replaced stretch takes the
 * candidate's text. A pure insertion goes after the original word before it (with the candidate's space), or before
 * the first word; a pure deletion takes the whitespace before the deleted words, or after them where that would
 * join two lines (or at the very start).
 */
export function diffHunks(original: string, candidate: string): DiffHunk[] {
  const ops = align(original, candidate);
  const hunks: DiffHunk[] = [];
  let prev: Token | undefined; // the original's last token before the current position
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === 'same') {
      prev = ops[i++].orig;
      continue;
    }
    const removed: Token[] = [];
    const added: Token[] = [];
    for (; i < ops.length && ops[i].kind !== 'same'; i++) (ops[i].kind === 'removed' ? removed : added).push(ops[i].token);
    const next = ops[i]; // the 'same' op after the stretch, if any
    const addedText = added.length ? candidate.slice(added[0].from, added[added.length - 1].to) : '';
    if (removed.length) {
      let from = removed[0].from;
      let to = removed[removed.length - 1].to;
      if (!added.length) {
        const before = prev ? original.slice(prev.to, from) : '\n';
        const after = next?.orig ? original.slice(to, next.orig.from) : '\n';
        if (!before.includes('\n')) from = prev!.to;
        else if (!after.includes('\n')) to = next!.orig!.from;
      }
      hunks.push({ from, to, text: addedText });
      prev = removed[removed.length - 1];
    } else if (prev) {
      hunks.push({ from: prev.to, to: prev.to, text: (added[0].space ? ' ' : '') + addedText });
    } else {
      const at = next?.orig?.from ?? 0;
      hunks.push({ from: at, to: at, text: addedText + (next?.token.space ? ' ' : '') });
    }
  }
  return hunks;
}

/** Counts of changed tokens, for the panel's one-line summary ("3 words changed"). */
export function diffStats(parts: readonly DiffPart[]): { same: number; removed: number; added: number } {
  const s = { same: 0, removed: 0, added: 0 };
  for (const p of parts) s[p.kind] += tokenize(p.text).length;
  return s;
}
