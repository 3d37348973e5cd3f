/**
 * The lightbulb (Ctrl+. / Cmd+.) actions on a selection: "Paraphrase selection" and "Simplify selection", which
 * run the same commands as the context menu. Pure (no vscode): extension.ts turns these into CodeActions of kind
 * `refactor.rewrite.diffuseq` for every language.
 */
export const CODE_ACTION_KIND = 'refactor.rewrite.diffuseq';

export interface RewriteAction {
  title: string;
  command: 'diffuseq.paraphrase' | 'diffuseq.simplify';
}

const ACTIONS: readonly RewriteAction[] = [
  { title: 'Paraphrase selection', command: 'diffuseq.paraphrase' },
  { title: 'Simplify selection', command: 'diffuseq.simplify' },
];

/** The actions offered for the selected text: both on any selection with something besides whitespace, else none. */
export function rewriteActionsFor(selectedText: string): RewriteAction[] {
  return selectedText.trim() === '' ? [] : ACTIONS.map((a) => ({ ...a }));
}
