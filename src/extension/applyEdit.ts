/**
 * Writing candidates into the document: the apply guard (applyGuard.ts) for every target, then ONE edit (one undo
 * step) through the visible editor or a WorkspaceEdit, then a check that the document now holds what was written
 * (a read-only one may answer true and change nothing), and the targets moved onto the text they now hold. What to
 * tell the user when it cannot be done is the caller's (rewrite.ts): this says why.
 */
import * as vscode from 'vscode';
import { confirmApplied, decideApplyAll } from './applyGuard';
import type { Log } from './log';
import { RewriteTarget, setSpan } from './rewriteTargets';

/** An edit the editor threw on instead of applying: nothing changed, and read-only is the usual reason. */
export const EDIT_THROWN_MESSAGE = 'The editor refused to change this document (it is read-only), so the candidate was not applied.';

export type WriteOutcome =
  | { kind: 'written' }
  /** Nothing (or nothing lasting) was written, for `message`; `offerRerun`: rewriting the selections again can help. */
  | { kind: 'refused'; message: string; offerRerun: boolean }
  /** The editor answered false to the edit: nothing was changed. */
  | { kind: 'rejected' };

/** Replaces each target's range with its text in one edit, after the apply guard passed for every target. */
export async function writeTexts(targets: RewriteTarget[], texts: string[], log: Log): Promise<WriteOutcome> {
  const uri = targets[0].uri;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && !d.isClosed);
  const decision = decideApplyAll(
    targets.map((t) => {
      const valid = doc ? doc.validateRange(t.range) : undefined;
      return {
        target: { original: t.expected, runVersion: t.version },
        now: {
          // A target whose document was closed lost track of its edits: it counts as closed.
          version: doc && !t.lost ? doc.version : undefined,
          textAtRange: doc && valid && valid.isEqual(t.range) ? doc.getText(t.range) : undefined,
          deleted: t.start === t.end,
        },
      };
    }),
  );
  if (decision.kind === 'refuse') return { kind: 'refused', message: decision.message, offerRerun: true };
  const d = doc!;
  // New ranges after the edit (targets are in document order and do not overlap).
  const order = targets
    .map((t, i) => ({ t, i, start: d.offsetAt(t.range.start), end: d.offsetAt(t.range.end) }))
    .sort((a, b) => a.start - b.start);
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === d);
  let ok: boolean;
  try {
    if (editor) {
      ok = await editor.edit(
        (eb) => {
          for (const o of order) eb.replace(o.t.range, texts[o.i]);
        },
        { undoStopBefore: true, undoStopAfter: true },
      );
    } else {
      const we = new vscode.WorkspaceEdit();
      for (const o of order) we.replace(d.uri, o.t.range, texts[o.i]);
      ok = await vscode.workspace.applyEdit(we);
    }
  } catch (e) {
    // Some read-only editors (VS Code's default keybindings in the web workbench) throw instead of answering false.
    log.warn(`the editor threw on the edit: ${e instanceof Error ? e.message : String(e)}`);
    return { kind: 'refused', message: EDIT_THROWN_MESSAGE, offerRerun: false };
  }
  if (!ok) return { kind: 'rejected' };
  let delta = 0;
  const placed = order.map((o) => {
    const start = o.start + delta;
    delta += texts[o.i].length - (o.end - o.start);
    return { o, start, end: start + texts[o.i].length };
  });
  const readOnly = confirmApplied(
    placed.map((p) => texts[p.o.i]),
    placed.map((p) => d.getText(new vscode.Range(d.positionAt(p.start), d.positionAt(p.end)))),
  );
  if (readOnly) return { kind: 'refused', message: readOnly, offerRerun: false };
  for (const p of placed) {
    setSpan(d, p.o.t, p.start, p.end);
    p.o.t.expected = texts[p.o.i];
  }
  log.info(`applied ${targets.length} replacement(s) to ${d.uri.toString()} (version ${d.version})`);
  return { kind: 'written' };
}
