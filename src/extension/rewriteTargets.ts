/**
 * The selections a rewrite works on: where each one is now and what text it expects there. A target is read from
 * the editor's selections (a comment block as its whole lines), moved by the document's edits, and found again by
 * its text when its document was closed and opened again (rangeTracker.ts does the arithmetic).
 */
import * as vscode from 'vscode';
import type { CommentBlock } from '../engine';
import { commentSpan } from './commentSelection';
import { relocate } from './rangeTracker';

/** One selection being rewritten: where it is and what text it expects there. */
export interface RewriteTarget {
  uri: vscode.Uri;
  range: vscode.Range;
  /** The text the run read from the range. */
  original: string;
  /** The text that must be at `range` for an apply: `original`, or the last applied candidate. */
  expected: string;
  /** Document version `start`/`end` (and `range`) are true for: edits up to it were followed. */
  version: number;
  /** `range` as document offsets, moved by every edit since (rangeTracker.ts). */
  start: number;
  end: number;
  /** The document was closed since: edits were no longer followed, and the text is found again by search. */
  lost?: boolean;
  /** Set when the range is a comment block: the engine rewrites its prose, the candidates get its markers back. */
  comment?: CommentBlock;
}

export function makeTarget(doc: vscode.TextDocument, range: vscode.Range): RewriteTarget {
  // Inside a comment block the target is its whole lines (whole paragraphs), markers included: the engine sees only the prose.
  const c = commentSpan((l) => doc.lineAt(l).text, doc.lineCount, range, doc.languageId);
  if (c) range = new vscode.Range(c.startLine, 0, c.endLine, doc.lineAt(c.endLine).text.length);
  const text = doc.getText(range);
  return {
    uri: doc.uri,
    range,
    original: text,
    expected: text,
    version: doc.version,
    start: doc.offsetAt(range.start),
    end: doc.offsetAt(range.end),
    ...(c ? { comment: c.block } : {}),
  };
}

/** Records a target's offsets (and its range) as of the document's current version. */
export function setSpan(doc: vscode.TextDocument, t: RewriteTarget, start: number, end: number): void {
  t.start = start;
  t.end = end;
  t.range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
  t.version = doc.version;
}

/** A target of a document that was closed and opened again: its text found again, or why it cannot be. */
export function relocateTarget(doc: vscode.TextDocument, t: RewriteTarget): RewriteTarget | string {
  const r = relocate(doc.getText(), t.expected);
  if (r.kind === 'missing') return 'The document was closed and the selected text is no longer in it.';
  if (r.kind === 'ambiguous') return `The document was closed and the selected text now occurs ${r.count} times in it.`;
  const found: RewriteTarget = { ...t, lost: false };
  setSpan(doc, found, r.span.start, r.span.end);
  return found;
}

/** A target read again from scratch (Regenerate / More steps rewrite the original text, apply where it is now). */
export function resetTarget(t: RewriteTarget): RewriteTarget {
  return { ...t };
}

/** Non-empty selections of the editor, in document order. */
export function targetsFromSelections(editor: vscode.TextEditor): RewriteTarget[] {
  return editor.selections
    .filter((s) => !s.isEmpty && editor.document.getText(s).trim() !== '')
    .map((s) => new vscode.Range(s.start, s.end))
    .sort((a, b) => a.start.compareTo(b.start))
    .map((r) => makeTarget(editor.document, r));
}
