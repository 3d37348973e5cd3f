/**
 * State of the candidates panel and the reducer that changes it. Pure (no vscode, no DOM): the
 * extension keeps the authoritative state, sends it to the webview (media/panel.js renders it and keeps a
 * copy with setState so a hidden panel comes back as it was), and the unit tests drive the reducer.
 */
import type { Diversity, RewriteResult, Task } from '../engine';
import { applyHunks, MixPick, togglePick } from './partialAccept';
import { DiffHunk, diffHunks, DiffPart, wordDiff } from './wordDiff';

export const PANEL_STATE_VERSION = 1;

export interface PanelCandidate {
  text: string;
  mbrScore: number;
  diff: DiffPart[];
  /** The changed chunks of `diff` (the k-th run of removed/added parts is hunk k), as edits of the original. */
  hunks: DiffHunk[];
}

/** Chunks accepted one by one (from any candidates of one selection) and the text they make. */
export interface PanelMix {
  picks: MixPick[];
  text: string;
}

/** One rewritten selection. */
export interface PanelItem {
  original: string;
  candidates: PanelCandidate[];
  /** Index of the MBR choice in `candidates`; -1 before the result arrives. */
  mbrIndex: number;
  /** Display order: candidate indices by MBR score, best (the MBR choice) first; ties keep sampling order. */
  order: number[];
  diversity?: Diversity;
  segments?: number;
  /** Candidates the engine dropped for losing a protected span (RewriteResult.droppedCandidates). */
  droppedCandidates?: number;
  warnings: string[];
  /** Index of the applied candidate, once applied. */
  applied?: number;
  /** The mix being built from accepted chunks, while it has any. */
  mix?: PanelMix;
  /** True once the mix was applied (and no candidate after it). */
  appliedMix?: boolean;
}

export interface RunSettings {
  candidates: number;
  steps: number;
  order: number;
  /** The seed the run used (random runs get one drawn by the extension so they can be told apart). */
  seed: number;
}

export type PanelStatus = 'running' | 'done' | 'error' | 'cancelled';

export interface PanelMessage {
  kind: 'info' | 'warning' | 'error';
  text: string;
}

export interface PanelState {
  v: typeof PANEL_STATE_VERSION;
  runId: number;
  task: Task;
  status: PanelStatus;
  /** 0..1 */
  progress: number;
  progressLabel: string;
  documentName: string;
  items: PanelItem[];
  focus: { item: number; candidate: number };
  settings: RunSettings;
  model?: { name: string; executionProvider: string };
  /** Wall time of the whole run (all selections), ms. */
  elapsedMs?: number;
  message?: PanelMessage;
  /** True once an apply was refused because the document changed: the panel offers Re-run. */
  stale?: boolean;
}

export type PanelAction =
  | {
      type: 'start';
      runId: number;
      task: Task;
      originals: string[];
      settings: RunSettings;
      documentName: string;
      model?: PanelState['model'];
    }
  | { type: 'progress'; runId: number; progress: number; label: string }
  | { type: 'results'; runId: number; results: RewriteResult[]; elapsedMs: number; model?: PanelState['model'] }
  | { type: 'failed'; runId: number; message: string }
  | { type: 'cancelled'; runId: number }
  | { type: 'move'; delta: number }
  | { type: 'focus'; item: number; candidate: number }
  | { type: 'applied'; item: number; candidate: number }
  | { type: 'toggleChunk'; item: number; candidate: number; hunk: number }
  | { type: 'clearMix'; item: number }
  | { type: 'appliedMix'; item: number }
  | { type: 'refused'; message: string }
  | { type: 'message'; message: PanelMessage | undefined };

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Candidate indices by MBR score (descending), the MBR choice first; ties keep sampling order. */
export function displayOrder(candidates: ReadonlyArray<{ mbrScore: number }>, mbrIndex: number): number[] {
  const idx = candidates.map((_, i) => i);
  idx.sort((a, b) => (a === mbrIndex ? -1 : b === mbrIndex ? 1 : candidates[b].mbrScore - candidates[a].mbrScore || a - b));
  return idx;
}

/** Flattened (item, candidate) positions in display order, item-major: the order arrow keys walk. */
export function positions(state: PanelState): Array<{ item: number; candidate: number }> {
  const out: Array<{ item: number; candidate: number }> = [];
  state.items.forEach((it, i) => it.order.forEach((c) => out.push({ item: i, candidate: c })));
  return out;
}

export function focusedCandidate(state: PanelState): PanelCandidate | undefined {
  return state.items[state.focus.item]?.candidates[state.focus.candidate];
}

export function reducePanel(state: PanelState | undefined, action: PanelAction): PanelState | undefined {
  if (action.type === 'start') {
    return {
      v: PANEL_STATE_VERSION,
      runId: action.runId,
      task: action.task,
      status: 'running',
      progress: 0,
      progressLabel: 'Starting…',
      documentName: action.documentName,
      items: action.originals.map((original) => ({ original, candidates: [], mbrIndex: -1, order: [], warnings: [] })),
      focus: { item: 0, candidate: 0 },
      settings: action.settings,
      model: action.model ?? state?.model,
    };
  }
  if (!state) return state;
  switch (action.type) {
    case 'progress':
      if (action.runId !== state.runId || state.status !== 'running') return state;
      return { ...state, progress: clamp(action.progress, 0, 1), progressLabel: action.label };
    case 'results': {
      if (action.runId !== state.runId || state.status !== 'running') return state;
      if (action.results.length !== state.items.length) {
        return {
          ...state,
          status: 'error',
          message: { kind: 'error', text: `Expected ${state.items.length} results, got ${action.results.length}.` },
        };
      }
      const items = state.items.map((it, i) => {
        const r = action.results[i];
        const mbrIndex = r.candidates.length ? clamp(r.mbrIndex, 0, r.candidates.length - 1) : -1;
        return {
          ...it,
          candidates: r.candidates.map((c) => ({
            text: c.text,
            mbrScore: c.mbrScore,
            diff: wordDiff(it.original, c.text),
            hunks: diffHunks(it.original, c.text),
          })),
          mbrIndex,
          order: displayOrder(r.candidates, mbrIndex),
          diversity: r.diversity,
          segments: r.segments,
          droppedCandidates: r.droppedCandidates,
          warnings: r.warnings,
        };
      });
      const first = items.findIndex((it) => it.candidates.length > 0);
      const { message: _dropped, ...rest } = state;
      return {
        ...rest,
        status: 'done',
        progress: 1,
        progressLabel: 'Done',
        items,
        focus: first >= 0 ? { item: first, candidate: items[first].mbrIndex } : { item: 0, candidate: 0 },
        elapsedMs: action.elapsedMs,
        model: action.model ?? state.model,
        stale: false,
      };
    }
    case 'failed': {
      if (action.runId !== state.runId || state.status !== 'running') return state;
      // The model shown was the last run's: after a failed load (a broken package picked) it is not the one in use.
      const { model: _previous, ...rest } = state;
      return { ...rest, status: 'error', message: { kind: 'error', text: action.message } };
    }
    case 'cancelled':
      if (action.runId !== state.runId || state.status !== 'running') return state;
      return { ...state, status: 'cancelled', message: { kind: 'info', text: 'Cancelled.' } };
    case 'move': {
      const all = positions(state);
      if (all.length === 0) return state;
      let at = all.findIndex((p) => p.item === state.focus.item && p.candidate === state.focus.candidate);
      if (at < 0) at = 0;
      const next = all[clamp(at + Math.trunc(action.delta), 0, all.length - 1)];
      if (next.item === state.focus.item && next.candidate === state.focus.candidate) return state;
      return { ...state, focus: next };
    }
    case 'focus': {
      const it = state.items[action.item];
      if (!it || action.candidate < 0 || action.candidate >= it.candidates.length) return state;
      if (state.focus.item === action.item && state.focus.candidate === action.candidate) return state;
      return { ...state, focus: { item: action.item, candidate: action.candidate } };
    }
    case 'applied': {
      const it = state.items[action.item];
      if (!it || action.candidate < 0 || action.candidate >= it.candidates.length) return state;
      const items = state.items.map((x, i) => (i === action.item ? { ...x, applied: action.candidate, appliedMix: false } : x));
      return {
        ...state,
        items,
        stale: false,
        message: { kind: 'info', text: 'Applied. Undo (Ctrl+Z / Cmd+Z) in the editor restores the original.' },
      };
    }
    case 'toggleChunk': {
      const it = state.items[action.item];
      const hunkOf = (p: MixPick) => it?.candidates[p.candidate]?.hunks[p.hunk];
      if (!it || state.status !== 'done' || !hunkOf(action)) return state;
      const picks = togglePick(it.mix?.picks ?? [], { candidate: action.candidate, hunk: action.hunk }, hunkOf);
      const { mix: _old, ...rest } = it;
      const next: PanelItem = picks.length
        ? {
            ...rest,
            mix: {
              picks,
              text: applyHunks(
                it.original,
                picks.map((p) => hunkOf(p)!),
              ),
            },
          }
        : rest;
      return { ...state, items: state.items.map((x, i) => (i === action.item ? next : x)) };
    }
    case 'clearMix': {
      const it = state.items[action.item];
      if (!it?.mix) return state;
      const { mix: _old, ...rest } = it;
      return { ...state, items: state.items.map((x, i) => (i === action.item ? rest : x)) };
    }
    case 'appliedMix': {
      const it = state.items[action.item];
      if (!it?.mix) return state;
      const { applied: _was, ...rest } = it;
      return {
        ...state,
        items: state.items.map((x, i) => (i === action.item ? { ...rest, appliedMix: true } : x)),
        stale: false,
        message: { kind: 'info', text: 'Applied the mix. Undo (Ctrl+Z / Cmd+Z) in the editor restores the text before it.' },
      };
    }
    case 'refused':
      return { ...state, stale: true, message: { kind: 'warning', text: action.message } };
    case 'message': {
      const { message: _old, ...rest } = state;
      return action.message ? { ...rest, message: action.message } : rest;
    }
  }
}

/** Overall progress of a run over several selections, each reporting (segment, step) progress. */
export function runProgress(
  selection: number,
  selections: number,
  p: { segment: number; segments: number; step: number; steps: number } | undefined,
): number {
  if (selections <= 0) return 0;
  let within = 0;
  if (p && p.segments > 0 && p.steps > 0) {
    // segment is 0-based in the engine's progress; step counts 1..steps.
    within = clamp((p.segment + clamp(p.step, 0, p.steps) / p.steps) / p.segments, 0, 1);
  }
  return clamp((selection + within) / selections, 0, 1);
}
