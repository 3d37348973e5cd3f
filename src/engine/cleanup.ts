/**
 * What the engine removes from a rounded row before it becomes text: a word repeated right after itself
 * ("writing writing") unless the input repeats that word the same way. Pure functions over token ids.
 */
import { wordSpans, type PieceTable } from './wordList';

/** The words that the input itself writes twice in a row ("very very" → "very"). */
export function repeatedInInput(sourceWords: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 1; i < sourceWords.length; i++) if (sourceWords[i] === sourceWords[i - 1]) out.add(sourceWords[i]);
  return out;
}

/**
 * `ids` without the second (third, …) copy of a word that directly follows itself, unless `allowed` (the input's own
 * repeats) has the word. Words are compared as assembled (wordList.wordSpans); a special token between two copies
 * separates them.
 */
export function collapseRepeats(
  ids: readonly number[],
  table: PieceTable,
  allowed: ReadonlySet<string>,
): { ids: number[]; collapsed: number } {
  const drop = new Uint8Array(ids.length);
  let collapsed = 0;
  const spans = wordSpans(ids, table);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (cur.start === prev.end && cur.word === prev.word && !allowed.has(cur.word)) {
      drop.fill(1, cur.start, cur.end);
      collapsed++;
    }
  }
  return collapsed === 0 ? { ids: [...ids], collapsed } : { ids: ids.filter((_, p) => drop[p] === 0), collapsed };
}

/** Whether `words` has a word directly repeated that `allowed` (the input's repeats) does not have. */
export function hasRepeatedWord(words: readonly string[], allowed: ReadonlySet<string> = new Set()): boolean {
  for (let i = 1; i < words.length; i++) if (words[i] === words[i - 1] && !allowed.has(words[i])) return true;
  return false;
}
