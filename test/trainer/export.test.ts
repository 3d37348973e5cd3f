/**
 * The parity check of `diffuseq export` on a small synthetic package: PyTorch writes two ONNX graphs with the
 * model-format.md interfaces and a parity/ fixture, onnxruntime-node must reproduce it. Needs Python with torch
 * (skipped with a message otherwise, unless CI=true).
 */
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findPythonWithTorch } from '../../src/trainer/pythonEnv';
import { exportMain } from '../../src/cli/export';
import { UserError } from '../../src/common/commandLine';
import { TOLERANCE_FLOAT16, TOLERANCE_FLOAT32, readParitySpec, resolveCheckpoint, verifyAndRecordParity } from '../../src/trainer/export';
import { isCI } from '../../src/trainer/pythonTests';

const MAKE_PACKAGE = `
import json, os, sys
import numpy as np
import torch
out, fp16 = sys.argv[1], sys.argv[2] == "1"
torch.manual_seed(0)
V, d = 50, 8
class Denoiser(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(d, d)
    def forward(self, x_t, t):
        return torch.tanh(self.lin(x_t)) + t[:, None, None] * 1e-3
class Rounding(torch.nn.Module):
    def forward(self, x, embedding):
        scores = x @ embedding.t() - 0.5 * (embedding * embedding).sum(-1)
        return scores.argmax(-1)
os.makedirs(os.path.join(out, "parity"), exist_ok=True)
den, rnd = Denoiser().eval(), Rounding().eval()
x = torch.randn(2, 5, d)
t = torch.tensor([3.0, 1500.5])
torch.onnx.export(den, (x, t), os.path.join(out, "denoiser.onnx"), input_names=["x_t", "t"], output_names=["x0"],
                  dynamic_axes={"x_t": {0: "B", 1: "L"}, "t": {0: "B"}, "x0": {0: "B", 1: "L"}}, opset_version=14)
emb = torch.randn(V + 1, d)
torch.onnx.export(rnd, (x, emb[:V]), os.path.join(out, "rounding.onnx"), input_names=["x", "embedding"], output_names=["tokens"],
                  dynamic_axes={"x": {0: "B", 1: "L"}, "embedding": {0: "V"}, "tokens": {0: "B", 1: "L"}}, opset_version=14)
(emb.half() if fp16 else emb).numpy().astype("<f2" if fp16 else "<f4").tofile(os.path.join(out, "embeddings.bin"))
emb_used = emb.half().float() if fp16 else emb
manifest = {"format": "diffuseq-v2", "formatVersion": 1, "name": "synthetic",
            "embedding": {"file": "embeddings.bin", "dtype": "float16" if fp16 else "float32", "vocabSize": V, "dim": d, "absorbingRow": V},
            "files": {"denoiser": "denoiser.onnx", "rounding": "rounding.onnx"}, "provenance": {"note": "test"}}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
def save(name, a, dtype):
    a.numpy().astype(dtype).tofile(os.path.join(out, "parity", name))
    return {"file": name, "shape": list(a.shape), "dtype": {"<f4": "float32", "<i8": "int64"}[dtype]}
batches = []
with torch.no_grad():
    for b, (B, L) in enumerate([(2, 7), (3, 4)]):
        xt, tt = torch.randn(B, L, d), torch.rand(B) * 1999
        x0 = den(xt, tt)
        tok = rnd(x0, emb_used[:V])
        batches.append({
            "denoiser": {"inputs": {"x_t": save(f"b{b}.x_t.bin", xt, "<f4"), "t": save(f"b{b}.t.bin", tt, "<f4")},
                         "outputs": {"x0": save(f"b{b}.x0.bin", x0, "<f4")}},
            "rounding": {"inputs": {"x": save(f"b{b}.x0.bin", x0, "<f4")},
                         "outputs": {"tokens": save(f"b{b}.tokens.bin", tok, "<i8")}},
        })
json.dump({"batches": batches}, open(os.path.join(out, "parity", "parity.json"), "w"))
`;

describe('trainer/export parity check', function () {
  this.timeout(120_000);
  let python: string;
  let tmp: string;

  before(function () {
    const found = findPythonWithTorch();
    if (!found.python) {
      if (isCI()) throw new Error('Python with torch is required under CI');
      console.log('    SKIP export parity: no Python with torch (sudo apt-get install python3-torch python3-onnx)');
      this.skip();
    }
    python = found.python!.executable;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'export-test-'));
    fs.writeFileSync(path.join(tmp, 'make.py'), MAKE_PACKAGE);
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  function makePackage(name: string, fp16 = false): string {
    const dir = path.join(tmp, name);
    const r = cp.spawnSync(python, [path.join(tmp, 'make.py'), dir, fp16 ? '1' : '0'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    return dir;
  }

  it('records provenance.parity in manifest.json and deletes parity/', async () => {
    const dir = makePackage('ok');
    assert.strictEqual(readParitySpec(path.join(dir, 'parity')).cases.length, 4);
    const logs: string[] = [];
    const r = await verifyAndRecordParity(dir, { log: (s) => logs.push(s) });
    assert.ok(r.maxAbsDiff < 1e-5, `maxAbsDiff ${r.maxAbsDiff}`);
    assert.strictEqual(r.batches, 2);
    assert.strictEqual(r.tokensCompared, 2 * 7 + 3 * 4);
    assert.strictEqual(r.tokensDisagreeing, 0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    assert.deepStrictEqual(Object.keys(m.provenance.parity).sort(), [
      'batches',
      'maxAbsDiff',
      'runtime',
      'tokenAgreement',
      'tokensCompared',
      'tolerance',
    ]);
    assert.strictEqual(m.provenance.parity.tolerance, TOLERANCE_FLOAT32);
    assert.match(m.provenance.parity.runtime, /^onnxruntime-node 1\.\d+\.\d+$/);
    assert.strictEqual(m.provenance.note, 'test', 'other provenance fields are kept');
    assert.ok(!fs.existsSync(path.join(dir, 'parity')));
    assert.match(logs.join('\n'), /denoiser max \|Δ\| = .* over 2 batches/);
  });

  it('uses the looser fp16 tolerance and float16 embeddings for rounding', async () => {
    const dir = makePackage('fp16', true);
    const r = await verifyAndRecordParity(dir, { log: () => undefined });
    assert.strictEqual(r.tolerance, TOLERANCE_FLOAT16);
    assert.strictEqual(r.tokensDisagreeing, 0);
  });

  it('fails loudly, with the numbers, when the denoiser output differs beyond tolerance', async () => {
    const dir = makePackage('bad-x0');
    const f = path.join(dir, 'parity', 'b1.x0.bin');
    const b = fs.readFileSync(f);
    b.writeFloatLE(b.readFloatLE(8) + 0.01, 8);
    fs.writeFileSync(f, b);
    const before = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    await assert.rejects(verifyAndRecordParity(dir, { log: () => undefined }), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /PARITY CHECK FAILED/);
      assert.match(e.message, /denoiser max abs diff 0\.0099\d* > tolerance 0\.001/);
      return true;
    });
    assert.strictEqual(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'), before, 'manifest untouched');
    assert.ok(fs.existsSync(path.join(dir, 'parity')), 'parity/ kept for inspection');
    // The CLI: non-zero exit, the message on stderr.
    let err = '';
    const code = await exportMain(['--verify-only', '--out', dir], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s) },
    });
    assert.strictEqual(code, 3);
    assert.match(err, /PARITY CHECK FAILED[\s\S]*tolerance 0\.001/);
  });

  it('fails when the rounding tokens disagree', async () => {
    const dir = makePackage('bad-tokens');
    const f = path.join(dir, 'parity', 'b0.tokens.bin');
    const b = fs.readFileSync(f);
    b.writeBigInt64LE(b.readBigInt64LE(0) === 1n ? 2n : 1n, 0);
    fs.writeFileSync(f, b);
    await assert.rejects(verifyAndRecordParity(dir, { log: () => undefined }), /rounding tokens disagree at 1 of 26 positions/);
  });

  it('names a missing fixture clearly', async () => {
    const dir = path.join(tmp, 'empty');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ embedding: { file: 'embeddings.bin', dtype: 'float32', vocabSize: 1, dim: 1, absorbingRow: 1 } }),
    );
    await assert.rejects(verifyAndRecordParity(dir, { log: () => undefined }), /parity\.json is missing/);
  });

  it('takes a run folder for --checkpoint (its weights.pt, else ckpt.pt) and says in one line what it wants', () => {
    const run = path.join(tmp, 'run-folder');
    fs.mkdirSync(run, { recursive: true });
    assert.throws(
      () => resolveCheckpoint(run),
      (e: Error) => e instanceof UserError && /is a folder without weights\.pt or ckpt\.pt/.test(e.message) && !e.message.includes('\n'),
    );
    fs.writeFileSync(path.join(run, 'ckpt.pt'), '');
    assert.equal(resolveCheckpoint(run), path.join(run, 'ckpt.pt'));
    fs.writeFileSync(path.join(run, 'weights.pt'), '');
    assert.equal(resolveCheckpoint(run), path.join(run, 'weights.pt'));
    assert.equal(resolveCheckpoint(path.join(run, 'ckpt.pt')), path.join(run, 'ckpt.pt'));
    assert.throws(() => resolveCheckpoint(path.join(run, 'nope.pt')), /checkpoint .*nope\.pt not found/);
  });
});
