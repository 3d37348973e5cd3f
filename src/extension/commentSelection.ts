/**
 * A selection inside a comment block: the whole lines it touches, read as a comment of the document's language
 * (src/engine/commentBlock.ts), and the engine's candidates put back inside the comment's markers. Pure (no
 * vscode): rewriteTargets.ts turns the line span into a range, sampleSelections.ts calls these around the engine.
 */
import { type CommentBlock, commentProse, parseCommentBlock, restoreCommentProse, type RewriteResult } from '../engine';

export interface SelectionLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/**
 * The lines the selection touches (a selection ending at column 0 of a later line does not touch that line), widened
 * to whole paragraphs of the comment (a wrapped sentence is rewritten as a whole, never half of it), when together
 * they are a comment block with prose in it; else undefined (the selection is rewritten as it is).
 */
export function commentSpan(
  lineText: (line: number) => string,
  lineCount: number,
  selection: SelectionLike,
  languageId: string,
): { startLine: number; endLine: number; block: CommentBlock } | undefined {
  const parse = (from: number, to: number) => {
    const lines: string[] = [];
    for (let l = from; l <= to; l++) lines.push(lineText(l));
    return parseCommentBlock(lines.join('\n'), languageId);
  };
  /** Whether lines i and i + 1 of the block are in the same paragraph. */
  const joined = (b: CommentBlock, i: number) => b.units.some((u) => u.kind === 'text' && u.first <= i && i + 1 < u.first + u.count);
  let startLine = selection.start.line;
  let endLine = selection.end.character === 0 && selection.end.line > startLine ? selection.end.line - 1 : selection.end.line;
  let block = parse(startLine, endLine);
  if (!block) return undefined;
  for (let b; startLine > 0 && (b = parse(startLine - 1, endLine)) && joined(b, 0);) [startLine, block] = [startLine - 1, b];
  for (let b; endLine + 1 < lineCount && (b = parse(startLine, endLine + 1)) && joined(b, endLine - startLine);)
    [endLine, block] = [endLine + 1, b];
  return { startLine, endLine, block };
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
