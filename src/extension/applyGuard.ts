/**
 * The rule that decides whether a candidate may replace the text a rewrite run started from.
 * Pure: the caller reads the document; this only compares.
 *
 * - Same document version as when the run started → the range still holds the original: apply.
 * - Version changed but the range still holds exactly the original text → the edits were elsewhere: apply.
 * - Otherwise (the text at the range differs, the range is gone, the document is closed) → refuse; the
 *   caller warns and offers "Re-run". Nothing is ever overwritten that the run did not see.
 */

export interface ApplyTarget {
  /** The text the run rewrote (what was selected when it started). */
  original: string;
  /** The document version when the run started. */
  runVersion: number;
}

export interface DocumentNow {
  /** The document's current version; undefined when the document is closed. */
  version: number | undefined;
  /** The current text at the recorded range; undefined when the range no longer exists in the document. */
  textAtRange: string | undefined;
}

export type ApplyDecision =
  | { kind: 'apply'; reason: 'unchanged' | 'edited-elsewhere' }
  | { kind: 'refuse'; reason: 'closed' | 'range-gone' | 'text-changed'; message: string };

export function decideApply(target: ApplyTarget, now: DocumentNow): ApplyDecision {
  if (now.version === undefined) {
    return { kind: 'refuse', reason: 'closed', message: 'The document was closed after the rewrite started.' };
  }
  if (now.textAtRange === undefined) {
    return {
      kind: 'refuse',
      reason: 'range-gone',
      message: 'The selected text no longer exists in the document (it was shortened since the rewrite started).',
    };
  }
  if (now.version === target.runVersion && now.textAtRange === target.original) {
    return { kind: 'apply', reason: 'unchanged' };
  }
  if (now.textAtRange === target.original) {
    return { kind: 'apply', reason: 'edited-elsewhere' };
  }
  return {
    kind: 'refuse',
    reason: 'text-changed',
    message: 'The selected text was edited since the rewrite started, so the candidate was not applied.',
  };
}

/** All-or-nothing decision for several ranges applied as one edit: every range must pass. */
export function decideApplyAll(
  items: ReadonlyArray<{ target: ApplyTarget; now: DocumentNow }>,
): { kind: 'apply' } | { kind: 'refuse'; refused: number[]; message: string } {
  const refused: number[] = [];
  let message = '';
  items.forEach((it, i) => {
    const d = decideApply(it.target, it.now);
    if (d.kind === 'refuse') {
      refused.push(i);
      if (!message) message = d.message;
    }
  });
  if (refused.length === 0) return { kind: 'apply' };
  if (items.length > 1) {
    message = `${refused.length} of ${items.length} selections changed since the rewrite started; nothing was applied. ${message}`;
  }
  return { kind: 'refuse', refused, message };
}
