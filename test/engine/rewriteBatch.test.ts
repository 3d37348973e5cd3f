import * as assert from 'node:assert/strict';
import { AbortError, RewriteEngine, type RewriteOptions } from '../../src/engine';
import { fakeManifest, fakeParts, type DenoiserCall } from './fakeParts';

const texts = (r: { candidates: { text: string }[] }) => r.candidates.map((c) => c.text);
/** The batches the denoiser ran, as "L×B", once per batch: a batch's calls have one shape and a falling t. */
const batchShapes = (calls: DenoiserCall[]): string[] =>
  calls.map((c) => `${c.L}×${c.B}`).filter((s, i, all) => i === 0 || s !== all[i - 1] || calls[i].t >= calls[i - 1].t);

describe('engine/pipeline with a fake denoiser (batching, chunking, cancellation; no trained model)', () => {
  const base: RewriteOptions = { task: 'paraphrase', candidates: 2, steps: 3, seed: 5 };
  // Words → L = 2n + 3: one word 5, two words 7, three words 9.
  const inputs = ['alpha beta', 'gamma', 'delta eps zeta', 'Eta theta'];

  it('groups segments of equal length into one denoiser batch, shortest first, and keeps each result with its input', async () => {
    const { parts, calls } = fakeParts();
    const engine = new RewriteEngine(parts);
    const progress: string[] = [];
    const results = await engine.rewriteBatch(inputs, { ...base, onProgress: (p) => progress.push(`${p.segment}/${p.segments}`) });
    assert.deepEqual(batchShapes(calls), ['5×2', '7×4', '9×2']);
    assert.equal(calls.length, 9, 'three solver steps per batch, one network call each');
    assert.deepEqual([...new Set(progress)], ['0/3', '1/3', '2/3']);
    assert.deepEqual(results.map(texts), [
      ['alpha beta', 'alpha beta'],
      ['gamma', 'gamma'],
      ['delta eps zeta', 'delta eps zeta'],
      ['Eta theta', 'Eta theta'],
    ]);
    for (const r of results) {
      assert.equal(r.segments, 1);
      assert.equal(r.droppedCandidates, 0);
      assert.equal(r.executionProvider, 'cpu');
    }
  });

  it('cuts a length group into batches of at most 64 rows, in input order', async () => {
    const { parts, calls } = fakeParts();
    const engine = new RewriteEngine(parts);
    // 32 candidates: two segments fill 64 rows, so the three two-word inputs take two batches.
    const results = await engine.rewriteBatch(['alpha beta', 'gamma delta', 'eps zeta'], { ...base, candidates: 32, steps: 1 });
    assert.deepEqual(batchShapes(calls), ['7×64', '7×32']);
    assert.deepEqual(
      results.map((r) => [...new Set(texts(r))]),
      [['alpha beta'], ['gamma delta'], ['eps zeta']],
    );
    assert.ok(results.every((r) => r.candidates.length === 32));
  });

  it('samples a long text segment by segment in rewrite, one batch of N rows each', async () => {
    const { parts, calls } = fakeParts();
    const engine = new RewriteEngine(parts);
    // maxSource 16: at most 14 tokens a segment, so the two sentences are two segments.
    const text = 'alpha beta gamma delta eps zeta eta theta. iota alpha beta gamma delta eps zeta eta.';
    const plan = engine.plan(text, 'paraphrase');
    assert.equal(plan.length, 2);
    const r = await engine.rewrite(text, { ...base, candidates: 3, steps: 2 });
    assert.deepEqual(
      batchShapes(calls),
      plan.map((p) => `${p.L}×3`),
    );
    assert.equal(r.segments, 2);
    assert.equal(r.candidates.length, 3);
  });

  it('stops between batches when the signal fires, without running the next batch', async () => {
    const { parts, calls } = fakeParts();
    const engine = new RewriteEngine(parts);
    const ac = new AbortController();
    await assert.rejects(
      engine.rewriteBatch(inputs, {
        ...base,
        signal: ac.signal,
        // The first batch's last step: the batch finishes, the next one must not start.
        onProgress: (p) => p.segment === 0 && p.step === p.steps && ac.abort(),
      }),
      (e: Error) => e instanceof AbortError,
    );
    assert.deepEqual(batchShapes(calls), ['5×2']);
    assert.equal(calls.length, 3);
  });

  it('feeds a self-conditioned restart model zeros and then its previous x0, and each row its target start', async () => {
    const { parts, calls } = fakeParts(fakeManifest({ selfConditioning: true, targetPositions: 'restart' }));
    const engine = new RewriteEngine(parts);
    const [a, b] = await engine.rewriteBatch(['alpha beta', 'gamma delta'], { ...base, steps: 3 });
    assert.deepEqual(
      [texts(a), texts(b)],
      [
        ['alpha beta', 'alpha beta'],
        ['gamma delta', 'gamma delta'],
      ],
    );
    assert.equal(calls.length, 3);
    assert.ok(calls[0].feeds.x_self_cond!.every((v) => v === 0));
    assert.deepEqual(calls[1].feeds.x_self_cond, calls[0].x0);
    assert.deepEqual(calls[2].feeds.x_self_cond, calls[1].x0);
    // Source [TASK] w w [SEP]: the target starts at 4 in all four rows.
    assert.deepEqual([...calls[0].feeds.target_start!], [4n, 4n, 4n, 4n]);
    // Without them in the manifest, neither is fed.
    const plain = fakeParts();
    await new RewriteEngine(plain.parts).rewrite('alpha', base);
    assert.ok(plain.calls.every((c) => c.feeds.x_self_cond === undefined && c.feeds.target_start === undefined));
  });

  it('runs the DDPM sampler on the same parts, and releases them once on dispose', async () => {
    const { parts, calls, released } = fakeParts();
    const engine = new RewriteEngine(parts);
    const [r] = await engine.rewriteBatch(['alpha beta gamma'], { ...base, sampler: 'ddpm', steps: 4 });
    assert.deepEqual(texts(r), ['alpha beta gamma', 'alpha beta gamma']);
    assert.equal(calls.length, 4);
    await engine.dispose();
    await engine.dispose();
    assert.deepEqual(released, ['denoiser', 'rounding']);
    await assert.rejects(engine.rewrite('alpha', base), /has been disposed/);
  });
});
