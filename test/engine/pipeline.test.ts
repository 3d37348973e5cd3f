import * as assert from 'node:assert/strict';
import { AbortError, RewriteInputError } from '../../src/engine/errors';
import { RewriteEngine } from '../../src/engine';
import type { RewriteOptions, RewriteResult } from '../../src/engine/types';
import { requireTestModel, vocabWords } from '../cli/testModel';

const texts = (r: RewriteResult) => r.candidates.map((c) => c.text);

describe('engine/pipeline (RewriteEngine on a real package)', function () {
  this.timeout(120000);
  let engine: RewriteEngine;
  const base: RewriteOptions = { task: 'paraphrase', candidates: 3, steps: 3, seed: 7 };

  let words: string[];
  before(async function () {
    const model = await requireTestModel(this);
    words = vocabWords(model, 6);
    engine = await RewriteEngine.load(model, { executionProvider: 'cpu', threads: 2 });
  });
  after(async () => {
    await engine?.dispose();
  });

  it('rewrites one sentence into N candidates with an MBR choice, diversity and timings', async () => {
    const r = await engine.rewrite('How can I be a good geologist?', base);
    assert.equal(r.candidates.length, 3);
    assert.ok(r.mbrIndex >= 0 && r.mbrIndex < 3);
    for (const c of r.candidates) {
      assert.equal(typeof c.text, 'string');
      assert.ok(Number.isFinite(c.mbrScore));
      assert.ok(!/\[(PAD|SEP|UNK|CLS|MASK)\]|##/.test(c.text), c.text);
    }
    assert.equal(
      r.mbrIndex,
      r.candidates.reduce((b, c, i, a) => (c.mbrScore > a[b].mbrScore ? i : b), 0),
    );
    for (const k of ['selfBleu', 'div4', 'dist1'] as const) {
      assert.ok(Number.isFinite(r.diversity[k]));
    }
    const t = r.timings;
    for (const k of ['tokenize', 'network', 'solver', 'rounding', 'mbr', 'total'] as const) {
      assert.ok(t[k] >= 0, k);
    }
    assert.ok(t.network > 0);
    assert.ok(t.total >= t.network + t.rounding);
    assert.equal(r.executionProvider, 'cpu');
    assert.equal(r.segments, 1);
  });

  it('is reproducible with a seed, and the batch API gives the same candidates', async () => {
    const a = await engine.rewrite('What is the best way to learn French?', base);
    const b = await engine.rewrite('What is the best way to learn French?', base);
    assert.deepEqual(texts(a), texts(b));
    const [x, y] = await engine.rewriteBatch(['What is the best way to learn French?', 'Why is the sky blue?'], base);
    assert.deepEqual(texts(x), texts(a));
    assert.deepEqual(texts(y), texts(await engine.rewrite('Why is the sky blue?', base)));
  });

  it('sizes the sequence by the input: L = n + 2 + budget, not the model maximum', () => {
    const m = engine.manifest;
    const [p] = engine.plan('Why is the sky blue?', 'paraphrase');
    const n = engine.countTokens('Why is the sky blue?');
    const budget = Math.min(m.lengths.maxTarget, Math.ceil(m.lengths.targetBudget.ratio * n) + m.lengths.targetBudget.extra);
    assert.deepEqual(p, { text: 'Why is the sky blue?', sourceTokens: n, budget, L: n + 2 + budget });
    assert.ok(p.L < m.lengths.maxSource + m.lengths.maxTarget);
  });

  it("keeps the selection's outer whitespace", async () => {
    const r = await engine.rewrite('  Why is the sky blue?\n', base);
    for (const t of texts(r)) {
      assert.ok(t.startsWith('  ') && t.endsWith('\n'), JSON.stringify(t));
    }
  });

  it('splits long text into sentences and keeps the line breaks between them', async () => {
    const sentence = 'The committee discussed the proposal for a long time before it finally agreed to vote on it.';
    const max = engine.manifest.lengths.maxSource - 2;
    let para = sentence;
    while (engine.countTokens(para) <= max) {
      para += ' ' + sentence;
    }
    const text = `${para}\n\nShort line.`;
    const plan = engine.plan(text, 'simplify');
    assert.ok(plan.length >= 3, `${plan.length} segments`);
    assert.ok(plan.every((p) => p.sourceTokens <= max));
    const progress: number[] = [];
    const r = await engine.rewrite(text, { ...base, task: 'simplify', onProgress: (p) => progress.push(p.segment) });
    assert.equal(r.segments, plan.length);
    assert.deepEqual(
      [...new Set(progress)],
      plan.map((_, i) => i),
    );
    for (const t of texts(r)) {
      assert.equal(t.split('\n\n').length, 2, JSON.stringify(t));
    }
  });

  it('runs every sampler option', async () => {
    const variants: RewriteOptions[] = [
      { ...base, order: 1 },
      { ...base, order: 3, steps: 4 },
      { ...base, solverVariant: 'x0-reset' },
      { ...base, noiseInit: 'absorbing' },
      { ...base, sampler: 'ddpm', steps: 4 },
      { ...base, candidates: 1 },
    ];
    for (const v of variants) {
      const r = await engine.rewrite('Why is the sky blue?', v);
      assert.equal(r.candidates.length, v.candidates, JSON.stringify(v));
    }
    // Different noise inits give different starting points, so (almost surely) different candidates or not —
    // but the same options twice give the same result.
    const a = await engine.rewrite('Why is the sky blue?', variants[4]);
    const b = await engine.rewrite('Why is the sky blue?', variants[4]);
    assert.deepEqual(texts(a), texts(b));
  });

  it('rejects empty text, unknown tasks and options out of range with clear errors', async () => {
    await assert.rejects(
      engine.rewrite('  \n ', base),
      (e: Error) => e instanceof RewriteInputError && /the text is empty/.test(e.message),
    );
    await assert.rejects(
      engine.rewrite('hi', { ...base, task: 'summarize' as never }),
      (e: Error) =>
        e instanceof RewriteInputError && e.message === `unknown task "summarize": this model supports ${engine.tasks.join(', ')}`,
    );
    await assert.rejects(engine.rewrite('hi', { ...base, steps: 51 }), /steps must be an integer from 1 to 50 \(got 51\)/);
    await assert.rejects(engine.rewrite('hi', { ...base, steps: 0 }), /steps must be an integer from 1 to 50/);
    await assert.rejects(engine.rewrite('hi', { ...base, order: 4 as never }), /order must be 1, 2 or 3/);
    await assert.rejects(engine.rewrite('hi', { ...base, candidates: 0 }), /candidates must be an integer from 1 to 64/);
    await assert.rejects(engine.rewrite('hi', { ...base, seed: 1.5 }), /seed must be an integer/);
    await assert.rejects(engine.rewrite('hi', { ...base, sampler: 'euler' as never }), /unknown sampler "euler"/);
  });

  it('refuses text the model cannot read at all (all CJK, one 1 MB token) instead of inventing a rewrite', async () => {
    const refused = (e: Error) =>
      e instanceof RewriteInputError && /^the model cannot read this text: none of its words is in/.test(e.message);
    await assert.rejects(engine.rewrite('今天天气很好 我们去公园散步', base), refused);
    await assert.rejects(engine.rewrite('x'.repeat(1 << 20), base), (e: Error) => refused(e) && e.message.length < 300);
    // One known word is enough to rewrite (the unknown ones are named in a warning).
    const r = await engine.rewrite(`今天天气很好 ${words[0]}`, base);
    assert.equal(r.candidates.length, 3);
  });

  it('stops between solver steps when the signal fires', async () => {
    const ac = new AbortController();
    let steps = 0;
    await assert.rejects(
      engine.rewrite('Why is the sky blue?', {
        ...base,
        steps: 10,
        signal: ac.signal,
        onProgress: () => {
          steps++;
          if (steps === 2) ac.abort();
        },
      }),
      (e: Error) => e instanceof AbortError && e.name === 'AbortError',
    );
    assert.equal(steps, 2);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(engine.rewrite('hi', { ...base, signal: pre.signal }), { name: 'AbortError' });
  });

  it('warns about words outside the vocabulary', async () => {
    const r = await engine.rewrite(`${words.slice(0, 3).join(' ')} 😀 ${words[3]}`, base);
    assert.deepEqual(r.warnings, [`1 word is not in the model's vocabulary ("😀"); they were replaced by [UNK]`]);
  });

  it('removes control characters from the input and says so', async () => {
    const plain = await engine.rewrite(words.slice(0, 4).join(' '), base);
    const r = await engine.rewrite(`${words[0]}\u0000 ${words[1]}\u001b[31m ${words[2]} ${words[3]}\u007f`, base);
    assert.deepEqual(r.warnings, ['3 control characters were removed from the input (NUL, escape codes and the like)']);
    assert.ok(r.candidates.every((c) => !/[\u0000-\u001f\u007f]/.test(c.text)));
    // "[31m" stays (printable); apart from it the model saw the same words as in the clean text.
    assert.equal(plain.warnings.length, 0);
  });
});
