/**
 * The real end-to-end run on CPU: prepare a few thousand pairs of ../shared/data (or $DIFFUSEQ_DATA), train the tiny config,
 * export with the onnxruntime-node parity check, and load the package. The work is done (once, cached) by the
 * shared fixture test/fixtures/tinyModel.ts, which the engine's tests reuse.
 *
 * Skipped with a message only when Python/torch (or the data) is missing and CI is not set (or, for quick local
 * runs, with DIFFUSEQ_E2E=0; ignored under CI). The first build takes minutes to an hour on a busy 2-core CPU.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { getTinyModelInfo, TinyModelInfo, TinyModelUnavailable } from '../fixtures/tinyModel';
import { isCI } from '../../src/trainer/pythonTests';
import { TOLERANCE_FLOAT32 } from '../../src/trainer/export';
import { RewriteEngine, TASKS } from '../../src/engine';

/** The training loss must fall at least this much (relative) between the first and last logged steps. */
const LOSS_DROP = 0.2;

describe('trainer/e2e (real tiny model on CPU)', function () {
  this.timeout(90 * 60_000);
  let info: TinyModelInfo;

  before(async function () {
    try {
      info = await getTinyModelInfo();
    } catch (e) {
      if (e instanceof TinyModelUnavailable && !isCI()) {
        console.log(
          `    SKIP e2e: ${e.reason}.${/DIFFUSEQ_E2E/.test(e.reason) ? '' : ' Install: sudo apt-get install python3-torch python3-onnx (see docs/training.md)'}`,
        );
        this.skip();
      }
      throw e;
    }
  });

  it(`the training loss falls by at least ${LOSS_DROP * 100}%`, () => {
    const t = info.train;
    assert.ok(t.steps > 0, 'steps were logged');
    assert.ok(
      t.lateLoss <= (1 - LOSS_DROP) * t.earlyLoss,
      `loss ${t.earlyLoss.toFixed(4)} (first logged steps) → ${t.lateLoss.toFixed(4)} (last); expected a drop of ≥ ${LOSS_DROP * 100}%`,
    );
    assert.ok(Number.isFinite(t.tokensPerSec) && t.tokensPerSec > 0);
    console.log(
      `      tiny run: ${t.steps} steps in ${t.wallSeconds.toFixed(0)}s, loss ${t.firstLoss.toFixed(4)} (step ${t.firstLossStep}) → ${t.lastLoss.toFixed(4)} (step ${t.lastLossStep}), ${t.tokensPerSec.toFixed(0)} tokens/s, parity ${info.parity.maxAbsDiff.toExponential(2)}`,
    );
  });

  it('exports a package with parity recorded and parity/ removed', () => {
    const dir = info.modelDir;
    for (const f of ['manifest.json', 'tokenizer.json', 'tokenizer_config.json', 'denoiser.onnx', 'rounding.onnx', 'embeddings.bin']) {
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    }
    assert.ok(!fs.existsSync(path.join(dir, 'parity')), 'parity/ is deleted');
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    assert.strictEqual(m.format, 'diffuseq-v2');
    assert.strictEqual(m.formatVersion, 1);
    const p = m.provenance.parity;
    assert.ok(p.maxAbsDiff <= TOLERANCE_FLOAT32, `maxAbsDiff ${p.maxAbsDiff}`);
    assert.ok(p.batches >= 1);
    assert.strictEqual(p.tolerance, TOLERANCE_FLOAT32);
    assert.match(p.runtime, /^onnxruntime-node \d+\.\d+\.\d+$/);
    assert.deepStrictEqual(Object.keys(m.tasks).sort(), ['paraphrase', 'simplify']);
    const bytes = fs.statSync(path.join(dir, 'embeddings.bin')).size;
    assert.strictEqual(bytes, (m.embedding.vocabSize + 1) * m.embedding.dim * (m.embedding.dtype === 'float16' ? 2 : 4));
  });

  it('the package tokenizer loads in @huggingface/transformers offline', async () => {
    const tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    const tok = await tf.AutoTokenizer.from_pretrained(info.modelDir);
    const ids = tok.encode('How do I learn English quickly?', { add_special_tokens: false });
    assert.ok(ids.length > 3);
    assert.strictEqual(tok.decode(ids), 'how do i learn english quickly?');
  });

  it('the engine loads the package and produces candidates', async () => {
    const eng = await RewriteEngine.load(info.modelDir);
    try {
      for (const task of TASKS) {
        const r = await eng.rewrite('How can I learn to speak English fluently?', { task, candidates: 4, steps: 10, seed: 1 });
        assert.ok(r && Array.isArray(r.candidates) && r.candidates.length === 4, `${task}: candidates ${JSON.stringify(r)?.slice(0, 300)}`);
        for (const c of r.candidates) assert.strictEqual(typeof c.text, 'string');
        assert.ok(r.mbrIndex >= 0 && r.mbrIndex < r.candidates.length);
        console.log(`      ${task}: ${JSON.stringify(r.candidates[r.mbrIndex].text)}`);
      }
    } finally {
      await eng.dispose();
    }
  });
});
