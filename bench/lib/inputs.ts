/**
 * Fixed benchmark inputs with exact word counts (whitespace-separated words), written for this benchmark so
 * the latency figures do not depend on a data set. The 40-word text has two sentences and the 80-word text
 * five, so it is split into several segments whenever it exceeds the model's source length.
 */

export const BENCH_TEXTS: Readonly<Record<number, string>> = {
  8: 'How can I improve my writing skills quickly?',
  20:
    'The committee decided to postpone the annual meeting because several members could not travel during the ' + 'heavy storm last week.',
  40:
    'Although the new library opened only a month ago, it has already become the most popular place in town for ' +
    'students. Many of them come every afternoon to study together, borrow books and use the fast free internet ' +
    'connection there.',
  80:
    'The old bridge across the river was built more than a century ago and has carried traffic since. Engineers ' +
    'inspected it last spring and found serious cracks in two of its stone pillars. The city council therefore ' +
    'closed the bridge to heavy trucks and asked for money to repair it. Work is expected to begin next year and ' +
    'may take several months. During that time, drivers will have to use the ferry or take a longer road through ' +
    'the hills.',
};

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * The benchmark text of `words` words. Lengths without a written text are cut from (or repeated up to) the
 * 80-word text, so any length can be asked for; the four lengths of the issue have natural texts.
 */
export function benchText(words: number): string {
  if (!Number.isInteger(words) || words <= 0) {
    throw new Error(`benchText: words must be a positive integer, got ${words}`);
  }
  const exact = BENCH_TEXTS[words];
  if (exact) {
    return exact;
  }
  const pool = BENCH_TEXTS[80].split(/\s+/);
  const out: string[] = [];
  while (out.length < words) {
    out.push(pool[out.length % pool.length]);
  }
  return out.join(' ');
}
