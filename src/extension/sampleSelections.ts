/**
 * A run's selections through the engine process, one after another: each selection's prose (a comment block
 * without its markers) rewritten with the run's settings, progress as one fraction of the whole run with a label
 * naming the selection, step and sentence, and the candidates given their comment markers back. No vscode: the
 * unit tests hand it a fake client.
 */
import type { RewriteResult, Task, CommentBlock } from '../engine';
import { engineInput, restoreResult } from './commentSelection';
import type { EngineClient } from './engineClient';
import { runProgress } from './panelState';

/** What a run asks of the engine (RunSpec of rewrite.ts). */
export interface SampleSpec {
  task: Task;
  targets: ReadonlyArray<{ original: string; comment?: CommentBlock }>;
  seed: number;
  steps: number;
  candidates: number;
  order: 1 | 2 | 3;
}

export async function sampleSelections(
  client: Pick<EngineClient, 'rewrite'>,
  runId: number,
  spec: SampleSpec,
  signal: AbortSignal,
  report: (fraction: number, label: string) => void,
  log: { info(line: string): void; warn(line: string): void },
): Promise<RewriteResult[]> {
  const out: RewriteResult[] = [];
  for (let i = 0; i < spec.targets.length; i++) {
    const label = spec.targets.length > 1 ? `Selection ${i + 1}/${spec.targets.length}` : 'Sampling';
    report(runProgress(i, spec.targets.length, undefined), label);
    const r = await client.rewrite(
      engineInput(spec.targets[i]),
      { task: spec.task, candidates: spec.candidates, steps: spec.steps, order: spec.order, seed: spec.seed },
      {
        signal,
        onProgress: (p) =>
          report(
            runProgress(i, spec.targets.length, p),
            `${label}: step ${p.step}/${p.steps}${p.segments > 1 ? `, sentence ${p.segment + 1}/${p.segments}` : ''}`,
          ),
      },
    );
    log.info(
      `run #${runId} selection ${i + 1}: ${r.candidates.length} candidates, MBR #${r.mbrIndex + 1}, ${r.executionProvider}, ${Math.round(r.timings.total)} ms ` +
        `(network ${Math.round(r.timings.network)} ms), self-BLEU ${r.diversity.selfBleu.toFixed(3)}`,
    );
    for (const w of r.warnings) log.warn(`run #${runId}: ${w}`);
    out.push(restoreResult(spec.targets[i], r));
  }
  return out;
}
