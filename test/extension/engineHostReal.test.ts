/**
 * The engine process with the REAL engine and a real model package (the one test/cli/testModel.ts names:
 * $DIFFUSEQ_TEST_MODEL, the cached tiny trained model, or models/_dev-random): through tsc's out/ entry
 * and, when built, the webpack bundle dist/engineHost.js (what the .vsix runs). Skipped without a model.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AbortError } from '../../src/engine';
import { EngineClient } from '../../src/extension/engineClient';
import { EngineError } from '../../src/extension/engineErrors';
import { requireTestModel } from '../cli/testModel';

const root = path.resolve(__dirname, '..', '..', '..');
const hosts = [
  { name: 'tsc build (out/src/extension/engineHostMain.js)', file: path.join(root, 'out', 'src', 'extension', 'engineHostMain.js') },
  { name: 'webpack bundle (dist/engineHost.js)', file: path.join(root, 'dist', 'engineHost.js') },
];

for (const host of hosts) {
  describe(`extension/engineHost with the real engine: ${host.name}`, function () {
    this.timeout(120_000);
    let model: string;
    let client: EngineClient;

    before(async function () {
      // The first use may build the shared tiny model (test/fixtures/tinyModel.ts: it trains one, minutes).
      this.timeout(60 * 60_000);
      if (!fs.existsSync(host.file)) {
        console.warn(`    (skipped: ${path.relative(root, host.file)} not built)`);
        this.skip();
      }
      model = await requireTestModel(this);
      client = new EngineClient({ hostPath: host.file });
    });
    after(async () => client?.dispose());

    it('loads the package and rewrites: N candidates, an MBR choice, diversity, cpu', async () => {
      const info = await client.load(model, { executionProvider: 'cpu' });
      assert.equal(info.executionProvider, 'cpu');
      assert.ok(info.tasks.includes('paraphrase') && info.tasks.includes('simplify'));
      const steps: number[] = [];
      const r = await client.rewrite(
        'The cat sat on the mat.',
        { task: 'paraphrase', candidates: 3, steps: 2, seed: 7 },
        { onProgress: (p) => steps.push(p.step) },
      );
      assert.equal(r.candidates.length, 3);
      assert.ok(r.mbrIndex >= 0 && r.mbrIndex < 3);
      assert.ok(r.candidates.every((c) => typeof c.text === 'string' && Number.isFinite(c.mbrScore)));
      assert.ok(Number.isFinite(r.diversity.selfBleu));
      assert.equal(r.executionProvider, 'cpu');
      assert.ok(steps.length >= 2);
      const again = await client.rewrite('The cat sat on the mat.', { task: 'paraphrase', candidates: 3, steps: 2, seed: 7 });
      assert.deepEqual(
        again.candidates.map((c) => c.text),
        r.candidates.map((c) => c.text),
        'same seed, same candidates',
      );
    });

    it('cancels a long rewrite through the AbortSignal', async () => {
      const ac = new AbortController();
      const long = Array.from({ length: 6 }, (_, i) => `Sentence number ${i} is here to make the input longer than one segment.`).join(' ');
      const p = client.rewrite(long, { task: 'simplify', candidates: 8, steps: 50 }, { signal: ac.signal, onProgress: () => ac.abort() });
      await assert.rejects(p, AbortError);
      const r = await client.rewrite('Still works.', { task: 'simplify', candidates: 2, steps: 1 });
      assert.equal(r.candidates.length, 2);
    });

    it('a broken package is one clear load error', async () => {
      await assert.rejects(client.load(path.join(root, 'media')), (e: unknown) => e instanceof EngineError && /manifest/i.test(e.message));
    });
  });
}
