/**
 * How `rewriteBatch` cuts many texts' segments into denoiser calls: one call runs rows of one sequence length L, so
 * segments are grouped by L (shortest first), and each group is cut, in input order, into batches of at most
 * `maxRows` rows (a segment takes `candidates` rows; a batch holds at least one segment).
 */

/** Most rows (candidates × segments) sent to the denoiser in one call by rewriteBatch. */
export const MAX_BATCH_ROWS = 64;

export function chunkByLength<T>(items: readonly T[], lengthOf: (item: T) => number, candidates: number, maxRows = MAX_BATCH_ROWS): T[][] {
  const byL = new Map<number, T[]>();
  for (const item of items) {
    const L = lengthOf(item);
    const g = byL.get(L) ?? [];
    g.push(item);
    byL.set(L, g);
  }
  const per = Math.max(1, Math.floor(maxRows / candidates));
  const batches: T[][] = [];
  for (const L of [...byL.keys()].sort((a, b) => a - b)) {
    const g = byL.get(L)!;
    for (let i = 0; i < g.length; i += per) {
      batches.push(g.slice(i, i + per));
    }
  }
  return batches;
}
