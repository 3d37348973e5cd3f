/**
 * The latency grid of `npm run bench`. Not the full cross product (4 × 4 × 5 = 80 configurations): one axis at a
 * time around the default (20 words, 8 candidates, 10 steps), plus a few corners.
 */

export interface GridPoint {
  /** Stable id, e.g. `w20-c8-k10`. */
  id: string;
  words: number;
  candidates: number;
  steps: number;
  /** Which sweeps this point belongs to: `default`, `words`, `candidates`, `steps`, `corner`. */
  axes: Axis[];
}

export type Axis = 'default' | 'words' | 'candidates' | 'steps' | 'corner';

export interface GridSpec {
  words: number[];
  candidates: number[];
  steps: number[];
  default: { words: number; candidates: number; steps: number };
  /** Extra points as [words, candidates, steps]. */
  corners: Array<[number, number, number]>;
}

export const DEFAULT_GRID: GridSpec = {
  words: [8, 20, 40, 80],
  candidates: [1, 4, 8, 16],
  steps: [1, 2, 5, 10, 20],
  default: { words: 20, candidates: 8, steps: 10 },
  corners: [
    [8, 1, 1], // the cheapest request
    [80, 16, 20], // the most expensive request of the grid
    [80, 1, 5], // long text, cheap sampling
    [8, 16, 20], // short text, expensive sampling
  ],
};

/** A smaller grid for `--quick` runs while developing. */
export const QUICK_GRID: GridSpec = {
  words: [8, 80],
  candidates: [1, 16],
  steps: [1, 20],
  default: { words: 20, candidates: 8, steps: 10 },
  corners: [],
};

export function pointId(words: number, candidates: number, steps: number): string {
  return `w${words}-c${candidates}-k${steps}`;
}

/** The grid points of `spec`, deduplicated (a point on several axes is measured once), default first. */
export function buildGrid(spec: GridSpec): GridPoint[] {
  const byId = new Map<string, GridPoint>();
  const add = (words: number, candidates: number, steps: number, axis: Axis) => {
    const id = pointId(words, candidates, steps);
    const p = byId.get(id);
    if (p) {
      if (!p.axes.includes(axis)) {
        p.axes.push(axis);
      }
    } else {
      byId.set(id, { id, words, candidates, steps, axes: [axis] });
    }
  };
  const d = spec.default;
  // The default is the centre of every sweep, whether or not the axis lists its value.
  for (const axis of ['default', 'words', 'candidates', 'steps'] as const) {
    add(d.words, d.candidates, d.steps, axis);
  }
  for (const w of spec.words) {
    add(w, d.candidates, d.steps, 'words');
  }
  for (const c of spec.candidates) {
    add(d.words, c, d.steps, 'candidates');
  }
  for (const k of spec.steps) {
    add(d.words, d.candidates, k, 'steps');
  }
  for (const [w, c, k] of spec.corners) {
    add(w, c, k, 'corner');
  }
  return [...byId.values()];
}

/** Parses a comma-separated list of positive integers ("1,2,5"), for overriding an axis on the command line. */
export function parseIntList(s: string, what: string): number[] {
  const out = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  if (out.length === 0 || out.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new Error(`${what}: expected a comma-separated list of positive integers, got "${s}"`);
  }
  return out;
}
