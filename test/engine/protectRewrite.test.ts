import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RewriteEngine } from '../../src/engine';
import { preTokenize } from '../../src/engine/copyRestore';
import { Tokenizer } from '../../src/engine/tokenizer';
import { SPAN_CASES } from '../fixtures/spanCases';

/** The shipped model: the spans must survive what it really writes, not what a test model writes. */
const MODEL = path.resolve(__dirname, '..', '..', '..', 'models', 'default');

/** Where `spans` first fail to appear in `text`, in order and byte-identical (undefined when they all do). */
function missingSpan(text: string, spans: readonly string[]): string | undefined {
  let at = 0;
  for (const s of spans) {
    const i = text.indexOf(s, at);
    if (i < 0) return s;
    at = i + s.length;
  }
  return undefined;
}

describe('engine protected spans, rewritten by models/default', function () {
  this.timeout(300_000);
  let engine: RewriteEngine;
  before(async function () {
    if (!fs.existsSync(path.join(MODEL, 'manifest.json'))) this.skip();
    engine = await RewriteEngine.load(MODEL, { executionProvider: 'cpu', threads: 2 });
  });
  after(async () => {
    await engine?.dispose();
  });

  it('the shipped tokenizer gives each preTokenize word alone the ids it gives it inside the text', async () => {
    const tok = await Tokenizer.load(MODEL, 1);
    for (const text of [...SPAN_CASES.map((c) => c.text), "Zürich, café, Škoda — “quoted” 中文 don't… 😀 e.g. $4,250"]) {
      const alone = preTokenize(text).flatMap(([s, e]) => tok.encodeIds(text.slice(s, e)));
      assert.deepEqual(alone, tok.encodeIds(text), text);
    }
  });

  it('every span of the table comes back byte-identical and in order in every candidate', async () => {
    let shown = 0;
    let dropped = 0;
    for (const [i, c] of SPAN_CASES.entries()) {
      const task = i % 3 === 2 ? 'simplify' : 'paraphrase';
      const r = await engine.rewrite(c.text, { task, candidates: 8, steps: 10, seed: i });
      assert.equal(r.candidates.length + r.droppedCandidates, r.droppedCandidates === 8 ? 9 : 8);
      for (const cand of r.candidates) {
        assert.equal(missingSpan(cand.text, c.spans), undefined, `${JSON.stringify(c.text)} → ${JSON.stringify(cand.text)}`);
      }
      shown += r.candidates.length;
      dropped += r.droppedCandidates;
    }
    console.log(`      (${SPAN_CASES.length} inputs: ${shown} candidates shown, ${dropped} dropped)`);
  });

  it("keeps the issue's example: the link target, the inline code, the version and the date; the link text stays a link", async () => {
    const text =
      'See [the install guide](https://example.com/docs/install.html) and run `npm ci --omit=dev` before version 2.4.1 ships on 12 March.';
    const r = await engine.rewrite(text, { task: 'paraphrase', seed: 1 });
    for (const c of r.candidates) {
      assert.match(c.text, /\[[^\]]+\]\(https:\/\/example\.com\/docs\/install\.html\) .*`npm ci --omit=dev`.*2\.4\.1.*12 March/, c.text);
    }
  });

  it('a text of only protected lines comes back unchanged without running the model on them', async () => {
    const text = 'Intro line here.\n```js\nconst x = 1;\n```\n`a`, 2.4.1';
    const r = await engine.rewrite(text, { task: 'paraphrase', candidates: 4, seed: 3 });
    for (const c of r.candidates) {
      assert.ok(c.text.endsWith('\n```js\nconst x = 1;\n```\n`a`, 2.4.1'), c.text);
    }
    assert.deepEqual(
      engine.plan(text, 'paraphrase').map((p) => p.L === 0),
      [false, true, true],
    );
  });

  it('words copied from the input keep their accents and case (café, Zürich, Škoda)', async () => {
    let copies = 0;
    for (const seed of [1, 2, 3]) {
      const r = await engine.rewrite('We met the Škoda team at a café in Zürich last spring.', { task: 'paraphrase', seed });
      for (const c of r.candidates) {
        assert.doesNotMatch(c.text, /\b(cafe|zurich|skoda)\b/i, c.text);
        copies += (c.text.match(/café|Zürich|Škoda/g) ?? []).length;
      }
    }
    // The model does copy them (otherwise the check above would prove nothing).
    assert.ok(copies > 0);
  });
});
