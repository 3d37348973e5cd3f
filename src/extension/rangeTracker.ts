/**
 * Where a selection is now, after edits made while its rewrite ran or its candidates waited in the panel.
 * Pure (offsets only, no vscode): the controller feeds it the document's change events.
 *
 * Without it a recorded range keeps its old line/character position: delete a line above it and the range
 * points at the next sentence (Re-run rewrote that one, Apply wrote there), and applying one of several
 * selections on one line moved the others out from under their ranges.
 */

/** A range as document offsets, `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** One content change, as VS Code reports it (`rangeOffset`, `rangeLength`, `text.length`). */
export interface TextChange {
  offset: number;
  deleted: number;
  inserted: number;
}

/**
 * The span after one change. A change wholly before the span moves it (an insertion right at its start
 * counts as before: typing in front of a selection does not edit it); a change wholly after it, or an insertion
 * right at its end, leaves it. A change that overlaps it stretches or shrinks it to cover what is there now
 * (the caller compares that text with what it expects, so an edit inside is refused, not overwritten).
 */
export function shiftSpan(span: Span, c: TextChange): Span {
  const delta = c.inserted - c.deleted;
  const changeEnd = c.offset + c.deleted;
  if (changeEnd <= span.start) {
    return { start: span.start + delta, end: span.end + delta };
  }
  if (c.offset >= span.end) return span;
  const start = Math.min(span.start, c.offset);
  const end = changeEnd >= span.end ? c.offset + c.inserted : span.end + delta;
  return { start, end: Math.max(start, end) };
}

/** The span after several changes applied one after the other (the order VS Code lists them in one event). */
export function shiftSpanAll(span: Span, changes: readonly TextChange[]): Span {
  return changes.reduce(shiftSpan, span);
}

export type Relocation = { kind: 'found'; span: Span } | { kind: 'missing' } | { kind: 'ambiguous'; count: number };

/**
 * Finds `text` again in a document whose edits were not followed (it was closed and opened again): only where
 * it occurs exactly once, so a repeated sentence is never rewritten in the wrong place.
 */
export function relocate(documentText: string, text: string): Relocation {
  if (text === '') return { kind: 'missing' };
  const first = documentText.indexOf(text);
  if (first < 0) return { kind: 'missing' };
  let count = 1;
  for (let at = documentText.indexOf(text, first + 1); at >= 0; at = documentText.indexOf(text, at + 1)) count++;
  if (count > 1) return { kind: 'ambiguous', count };
  return { kind: 'found', span: { start: first, end: first + text.length } };
}
