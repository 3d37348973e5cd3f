import * as assert from 'node:assert/strict';
import type { RewriteResult } from '../../src/engine';
import { commentSpan } from '../../src/extension/commentSelection';
import type { HostRewriteOptions, RewriteProgress } from '../../src/extension/engineProtocol';
import { sampleSelections, SampleSpec } from '../../src/extension/sampleSelections';

/** A result with what the run's log line reads. */
function result(texts: string[], warnings: string[] = []): RewriteResult {
  return {
    candidates: texts.map((text) => ({ text, mbrScore: 0 })),
    mbrIndex: 0,
    diversity: { selfBleu: 0.25, div4: 1, dist1: 1 },
    timings: { total: 1200.4, network: 800.6 },
    executionProvider: 'cpu',
    segments: 1,
    droppedCandidates: 0,
    warnings,
  } as unknown as RewriteResult;
}

/** A client that reports the given progress events for each call, then answers with the next result. */
function fakeClient(progress: RewriteProgress[], results: RewriteResult[]) {
  const calls: Array<{ text: string; options: HostRewriteOptions; signal?: AbortSignal }> = [];
  const client = {
    async rewrite(
      text: string,
      options: HostRewriteOptions,
      call: { onProgress?: (p: RewriteProgress) => void; signal?: AbortSignal } = {},
    ) {
      calls.push({ text, options, signal: call.signal });
      for (const p of progress) call.onProgress?.(p);
      return results[calls.length - 1];
    },
  };
  return { client, calls };
}

describe('extension/sampleSelections', () => {
  const DOC = ['  // The cache is invalidated whenever the', '  // configuration file changes.'];
  const comment = commentSpan(
    (l) => DOC[l],
    DOC.length,
    { start: { line: 0, character: 5 }, end: { line: 1, character: 8 } },
    'typescript',
  );

  it('sends each selection with the run settings and reports one fraction of the whole run, with selection, step and sentence', async () => {
    assert.ok(comment);
    const spec: SampleSpec = {
      task: 'simplify',
      targets: [{ original: 'First sentence.' }, { original: DOC.join('\n'), comment: comment.block }],
      seed: 7,
      steps: 10,
      candidates: 2,
      order: 2,
    };
    const { client, calls } = fakeClient(
      [{ segment: 1, segments: 2, step: 5, steps: 10 }],
      [result(['One.', 'Two.'], ['slow provider']), result(['The cache is cleared on config changes.'])],
    );
    const reports: Array<[number, string]> = [];
    const lines: string[] = [];
    const signal = new AbortController().signal;
    const out = await sampleSelections(client, 3, spec, signal, (f, label) => reports.push([f, label]), {
      info: (l) => lines.push(`info ${l}`),
      warn: (l) => lines.push(`warn ${l}`),
    });

    // The comment's prose goes to the engine without its markers; the settings are the run's.
    assert.deepEqual(
      calls.map((c) => c.text),
      ['First sentence.', 'The cache is invalidated whenever the configuration file changes.'],
    );
    assert.deepEqual(calls[1].options, { task: 'simplify', candidates: 2, steps: 10, order: 2, seed: 7 });
    assert.equal(calls[0].signal, signal);
    // Selection i of 2 at segment 1 of 2, step 5 of 10: (i + (1 + 5/10) / 2) / 2.
    assert.deepEqual(reports, [
      [0, 'Selection 1/2'],
      [0.375, 'Selection 1/2: step 5/10, sentence 2/2'],
      [0.5, 'Selection 2/2'],
      [0.875, 'Selection 2/2: step 5/10, sentence 2/2'],
    ]);
    // The candidates of the comment get its markers back, wrapped at the comment's width (42 characters).
    assert.deepEqual(
      out.map((r) => r.candidates.map((c) => c.text)),
      [['One.', 'Two.'], ['  // The cache is cleared on config\n  // changes.']],
    );
    assert.deepEqual(lines, [
      'info run #3 selection 1: 2 candidates, MBR #1, cpu, 1200 ms (network 801 ms), self-BLEU 0.250',
      'warn run #3: slow provider',
      'info run #3 selection 2: 1 candidates, MBR #1, cpu, 1200 ms (network 801 ms), self-BLEU 0.250',
    ]);
  });

  it('one selection is "Sampling", and a one-sentence input names no sentence', async () => {
    const { client } = fakeClient([{ segment: 0, segments: 1, step: 1, steps: 4 }], [result(['A.'])]);
    const reports: Array<[number, string]> = [];
    const spec: SampleSpec = { task: 'paraphrase', targets: [{ original: 'a' }], seed: 1, steps: 4, candidates: 1, order: 1 };
    await sampleSelections(client, 1, spec, new AbortController().signal, (f, l) => reports.push([f, l]), { info() {}, warn() {} });
    assert.deepEqual(reports, [
      [0, 'Sampling'],
      [0.25, 'Sampling: step 1/4'],
    ]);
  });
});
