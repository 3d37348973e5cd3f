/**
 * Cycling the candidates in place: which text the selection shows after each next/previous key. Pure (no
 * vscode): cycle.ts writes what this says into the editor, one edit per step.
 *
 * The ring is the candidates in the panel's display order (the MBR choice first, then by MBR score), without
 * repeats and without candidates identical to the original; the first step shows the MBR choice, "previous" from
 * the first goes round to the last. The original is not in the ring: Esc restores it.
 */
import { displayOrder } from './panelState';

export interface CycleState {
  original: string;
  /** Distinct candidate texts in display order. */
  ring: string[];
  /** Index in `ring` of the text now shown, or -1 while the original is shown. */
  at: number;
}

/** `current`: the text the selection shows now (a candidate applied before): the ring goes on from it. */
export function startCycle(
  original: string,
  candidates: ReadonlyArray<{ text: string; mbrScore: number }>,
  mbrIndex: number,
  current = original,
): CycleState {
  const ring: string[] = [];
  for (const k of displayOrder(candidates, mbrIndex)) {
    const text = candidates[k].text;
    if (text.trim() !== '' && text !== original && !ring.includes(text)) ring.push(text);
  }
  return { original, ring, at: ring.indexOf(current) };
}

/** One step forward (+1) or back (−1), wrapping; from the original, forward is the first and back the last. */
export function stepCycle(state: CycleState, delta: 1 | -1): CycleState {
  const n = state.ring.length;
  if (n === 0) return state;
  const at = state.at < 0 ? (delta > 0 ? 0 : n - 1) : (state.at + delta + n) % n;
  return { ...state, at };
}

/** The text the selection shows in this state. */
export function shownText(state: CycleState): string {
  return state.at < 0 ? state.original : state.ring[state.at];
}

/** "2/5" for the status bar: the position of the shown candidate, or "original". */
export function cycleLabel(state: CycleState): string {
  return state.at < 0 ? 'original' : `${state.at + 1}/${state.ring.length}`;
}
