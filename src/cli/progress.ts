/**
 * Progress of a long `diffuseq rewrite` on stderr (a 10 000-word text takes minutes on a CPU and used to print
 * nothing until the end): on a terminal one line rewritten in place and cleared at the end; with --verbose, a line
 * at most once every `everyMs`. Nothing otherwise, so scripts reading stderr see only warnings and errors.
 */
export interface ProgressSink {
  write(s: string): unknown;
}

export interface Progress {
  segment: number;
  segments: number;
  step: number;
  steps: number;
}

/** `sentence 3/120, step 5/10 (22%)`: segments are 0-based in the engine's progress, steps 1-based. */
export function progressLine(p: Progress): string {
  const done = p.segments > 0 && p.steps > 0 ? (p.segment + Math.min(p.step, p.steps) / p.steps) / p.segments : 0;
  const where = p.segments > 1 ? `sentence ${p.segment + 1}/${p.segments}, ` : '';
  return `${where}step ${p.step}/${p.steps} (${Math.round(done * 100)}%)`;
}

export function progressReporter(
  stderr: ProgressSink,
  o: { tty: boolean; verbose: boolean; everyMs?: number; now?: () => number },
): { onProgress?: (p: Progress) => void; done(): void } {
  const now = o.now ?? Date.now;
  const every = o.everyMs ?? 1000;
  if (o.tty) {
    let shown = false;
    let last = -Infinity;
    return {
      onProgress: (p) => {
        if (now() - last < 100) return;
        last = now();
        shown = true;
        stderr.write(`\r\u001b[Kdiffuseq: ${progressLine(p)}`);
      },
      done: () => {
        if (shown) stderr.write('\r\u001b[K');
      },
    };
  }
  if (o.verbose) {
    let last = -Infinity;
    return {
      onProgress: (p) => {
        if (now() - last < every) return;
        last = now();
        stderr.write(`diffuseq: ${progressLine(p)}\n`);
      },
      done: () => undefined,
    };
  }
  return { done: () => undefined };
}
