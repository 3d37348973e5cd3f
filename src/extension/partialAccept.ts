/**
 * Taking part of a candidate: the changed chunks (word-diff hunks, wordDiff.ts `diffHunks`) accepted one by one,
 * possibly from several candidates, make a mixed result that the panel's "Apply mix" writes as one edit. Pure (no
 * vscode, no DOM): the panel reducer (panelState.ts) keeps the picks and the mixed text.
 */
import type { DiffHunk } from './wordDiff';

/** One accepted chunk: hunk `hunk` of candidate `candidate`. */
export interface MixPick {
  candidate: number;
  hunk: number;
}

/**
 * Whether two edits of the original touch the same text: their ranges intersect, or both insert at the same
 * point, or one inserts strictly inside the other's range. (An insertion at a range's edge does not clash.)
 */
export function hunksOverlap(a: DiffHunk, b: DiffHunk): boolean {
  const aPoint = a.from === a.to;
  const bPoint = b.from === b.to;
  if (aPoint && bPoint) return a.from === b.from;
  if (aPoint) return b.from < a.from && a.from < b.to;
  if (bPoint) return a.from < b.from && b.from < a.to;
  return a.from < b.to && b.from < a.to;
}

/**
 * Accepting a chunk that is already accepted takes it back; accepting another replaces the accepted chunks it
 * overlaps (from other candidates, for the same words). `hunkOf` resolves a pick; unknown picks are ignored.
 */
export function togglePick(picks: readonly MixPick[], pick: MixPick, hunkOf: (p: MixPick) => DiffHunk | undefined): MixPick[] {
  if (picks.some((p) => p.candidate === pick.candidate && p.hunk === pick.hunk))
    return picks.filter((p) => !(p.candidate === pick.candidate && p.hunk === pick.hunk));
  const h = hunkOf(pick);
  if (!h) return [...picks];
  return [
    ...picks.filter((p) => {
      const o = hunkOf(p);
      return o !== undefined && !hunksOverlap(o, h);
    }),
    pick,
  ];
}

/** The original with the (non-overlapping) hunks applied: each replaces original[from, to) with its text. */
export function applyHunks(original: string, hunks: readonly DiffHunk[]): string {
  // By position; at the same position an insertion goes before a replacement that starts there.
  const sorted = [...hunks].sort((a, b) => a.from - b.from || a.to - a.from - (b.to - b.from));
  let out = '';
  let at = 0;
  for (const h of sorted) {
    out += original.slice(at, h.from) + h.text;
    at = h.to;
  }
  return out + original.slice(at);
}
