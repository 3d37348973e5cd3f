/**
 * The rule that decides whether a candidate may replace the text a rewrite run started from.
 * Pure: the caller reads the document; this only compares.
 *
 * - Same document version as when the run started → the range still holds the original: apply.
 * - Version changed but the range still holds exactly the original text → the edits were elsewhere: apply.
 * - Otherwise (the text at the range differs, the text was deleted, the document is closed) → refuse with that
 *   reason; the caller warns and offers "Re-run". Nothing is ever overwritten that the run did not see.
 *
 * The range is the one the run recorded, moved by every edit since (rangeTracker.ts): an edit elsewhere —
 * a line deleted above, another selection of the same line applied — moves it and does not refuse it.
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
  /** True when every character of the range was deleted since (the range is empty now). */
  deleted?: boolean;
}

export type ApplyDecision =
  | { kind: 'apply'; reason: 'unchanged' | 'edited-elsewhere' }
  | { kind: 'refuse'; reason: 'closed' | 'deleted' | 'text-changed'; message: string };

export function decideApply(target: ApplyTarget, now: DocumentNow): ApplyDecision {
  if (now.version === undefined) {
    return { kind: 'refuse', reason: 'closed', message: 'The document was closed after the rewrite started.' };
  }
  if (now.textAtRange === undefined || (now.deleted && target.original !== '')) {
    return {
      kind: 'refuse',
      reason: 'deleted',
      message: 'The selected text was deleted from the document since the rewrite started, so the candidate was not applied.',
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

/**
 * A candidate with no text would delete the selection: refused, with the reason (the MBR choice is blank only when
 * every candidate is, engine/mbr.ts). `texts[i]` is what would replace selection i.
 */
export function refuseBlank(texts: readonly string[]): string | undefined {
  const blank = texts.filter((t) => t.trim() === '').length;
  if (blank === 0) return undefined;
  const which = texts.length === 1 ? 'the selection' : `${blank} of ${texts.length} selections`;
  return `The model wrote nothing for ${which} (every candidate is empty), so nothing was applied: the selection is kept. Try Regenerate or more steps.`;
}

/** A panel candidate that is empty: applying it would delete the selection. */
export const BLANK_CANDIDATE_MESSAGE = 'That candidate is empty: applying it would delete the selection, so nothing was applied.';

/**
 * Checked after the editor accepted an edit: the text at each new range must be its candidate. A read-only
 * document (files.readonlyInclude, a read-only session, the default keybindings) accepts the edit and changes
 * nothing; that must not be reported as applied.
 */
export function confirmApplied(texts: readonly string[], textsNow: ReadonlyArray<string | undefined>): string | undefined {
  // The editor writes line breaks in the document's own style (CRLF or LF): that is not a refusal.
  const lf = (t: string | undefined) => t?.replace(/\r\n/g, '\n');
  if (texts.every((t, i) => lf(textsNow[i]) === lf(t))) return undefined;
  return 'The document is read-only (the editor did not change it), so the candidate was not applied.';
}
