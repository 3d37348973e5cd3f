/**
 * A RewriteResult from a sampled text: each candidate's segments joined, candidates that lost a protected span left
 * out, the MBR choice, diversity, the word constraint's counts and the stage timings.
 */
import { performance } from 'node:perf_hooks';
import type { Prepared } from './jobs';
import { diversityOf, mbrSelect } from './mbr';
import { joinSegments } from './segment';
import type { Candidate, ConstraintCounts, Diversity, ExecutionProviderName, RewriteResult, StageTimings } from './types';

/** Joins segment candidates, runs MBR and builds the result; `t0` is when the rewrite started. */
export function finishResult(
  prep: Prepared,
  candidateCount: number,
  t: Omit<StageTimings, 'mbr' | 'total'> & Partial<StageTimings>,
  t0: number,
  engine: { executionProvider: ExecutionProviderName; loadWarnings: readonly string[] },
): RewriteResult {
  const tM = performance.now();
  const texts: string[] = [];
  const warnings = [...engine.loadWarnings, ...prep.warnings];
  for (let k = 0; k < candidateCount; k++) {
    const parts = prep.jobs.map((j) => j.outputs[k]);
    // A candidate that lost a protected span in any segment is not shown (copyRestore.ts renderCandidate).
    if (parts.every((p): p is string => p !== null)) {
      texts.push(joinSegments(prep.segments, parts));
    }
  }
  const dropped = candidateCount - texts.length;
  if (texts.length === 0) {
    // Never offer a text that lost what had to stay: the input itself is the one candidate left.
    texts.push(prep.original);
    warnings.push(`all ${dropped} candidates lost a protected span (a link, code, a number…); the text is shown unchanged`);
  }
  const sel = mbrSelect(texts);
  const diversity: Diversity = diversityOf(texts);
  const candidates: Candidate[] = texts.map((text, i) => ({ text, mbrScore: sel.scores[i] }));
  const constraints: ConstraintCounts = { inventedWordsReplaced: 0, repeatsCollapsed: 0, candidatesChanged: 0 };
  for (let k = 0; k < candidateCount; k++) {
    let changed = false;
    for (const j of prep.jobs) {
      const f = j.fixes[k];
      constraints.inventedWordsReplaced += f?.replaced ?? 0;
      constraints.repeatsCollapsed += f?.collapsed ?? 0;
      changed ||= (f?.replaced ?? 0) + (f?.collapsed ?? 0) > 0;
    }
    if (changed) constraints.candidatesChanged++;
  }
  const mbr = performance.now() - tM;
  return {
    candidates,
    mbrIndex: sel.index,
    diversity,
    constraints,
    timings: {
      tokenize: t.tokenize,
      network: t.network,
      solver: t.solver,
      rounding: t.rounding,
      mbr,
      total: performance.now() - t0,
    },
    executionProvider: engine.executionProvider,
    segments: prep.segments.length,
    droppedCandidates: dropped,
    warnings,
  };
}
