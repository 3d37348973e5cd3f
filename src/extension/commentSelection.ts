/**
 * A selection inside a comment block: the whole lines it touches, read as a comment of the document's language
 * (src/engine/commentBlock.ts), and the engine's candidates put back inside the comment's markers. Pure (no
 * vscode): rewrite.ts turns the line span into a range and calls these around the engine.
 */
import { CommentBlock, commentProse, parseCommentBlock, restoreCommentProse } from '../engine/commentBlock';
import type { RewriteResult } from '../engine/types';

export interface SelectionLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/**
 * The lines the selection touches (a selection ending at column 0 of a later line does not touch that line),
 * when together they are a comment block with prose in it; else undefined (the selection is rewritten as it is).
 */
export function commentSpan(
  lineText: (line: number) => string,
  selection: SelectionLike,
  languageId: string,
): { startLine: number; endLine: number; block: CommentBlock } | undefined {
  const startLine = selection.start.line;
  const endLine = selection.end.character === 0 && selection.end.line > startLine ? selection.end.line - 1 : selection.end.line;
  const lines: string[] = [];
  for (let l = startLine; l <= endLine; l++) lines.push(lineText(l));
  const block = parseCommentBlock(lines.join('\n'), languageId);
  return block ? { startLine, endLine, block } : undefined;
}

/** What the engine rewrites for a target: the comment's prose (one paragraph per line), or the text itself. */
export function engineInput(target: { original: string; comment?: CommentBlock }): string {
  return target.comment ? commentProse(target.comment) : target.original;
}

/** The engine's result with every candidate put back inside the comment's markers (unchanged without a comment). */
export function restoreResult(target: { comment?: CommentBlock }, result: RewriteResult): RewriteResult {
  const block = target.comment;
  if (!block) return result;
  return { ...result, candidates: result.candidates.map((c) => ({ ...c, text: restoreCommentProse(block, c.text) })) };
}
