import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelPackageError } from '../../src/engine/errors';
import { checkGraphInterfaces, graphInfoOf } from '../../src/engine/graphInterface';
import { decodeMatrix, halfToFloat, loadModelPackage } from '../../src/engine/package';
import { RewriteEngine } from '../../src/engine/pipeline';
import { ort } from '../../src/engine/session';
import { encodeWordList } from '../../src/engine/wordList';
import { gzipSync } from 'node:zlib';
import { copyPackage, requireTestModel } from '../cli/testModel';

function expectError(dir: string, pattern: RegExp): ModelPackageError {
  try {
    loadModelPackage(dir);
  } catch (e) {
    assert.ok(e instanceof ModelPackageError, `expected ModelPackageError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${dir}: `), `message names the folder: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail(`expected ${dir} to fail with ${pattern}`);
}

/** The graph checks run where onnxruntime reports the graphs' interfaces: when the engine loads the package. */
async function expectLoadError(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(RewriteEngine.load(dir, { executionProvider: 'cpu', threads: 1 }), (e: unknown) => {
    assert.ok(e instanceof ModelPackageError, `expected ModelPackageError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${dir}: `), `message names the folder: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

// The tests edit the manifest as untyped JSON: delete fields, give them the wrong type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function editManifest(dir: string, edit: (m: Record<string, any>) => void): void {
  const p = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(p, 'utf8'));
  edit(m);
  fs.writeFileSync(p, JSON.stringify(m));
}

describe('engine/package (pure parts)', () => {
  it('decodes float16', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    const buf = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]);
    assert.deepEqual([...decodeMatrix(buf, 'float16', 2)], [1, -2]);
    const f32 = new Float32Array([1.5, -0.25]);
    assert.deepEqual([...decodeMatrix(new Uint8Array(f32.buffer), 'float32', 2)], [1.5, -0.25]);
  });

  it('reports a missing folder and a folder without manifest', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-empty-'));
    expectError(path.join(tmp, 'nope'), /model folder not found$/);
    expectError(tmp, /manifest\.json is missing$/);
    fs.writeFileSync(path.join(tmp, 'manifest.json'), '{ not json');
    expectError(tmp, /manifest\.json is not valid JSON/);
    fs.writeFileSync(path.join(tmp, 'manifest.json'), '[]');
    expectError(tmp, /manifest\.json is not a JSON object/);
  });
});

describe('engine/package (real package)', function () {
  this.timeout(60000);
  let model: string;
  before(async function () {
    model = await requireTestModel(this);
  });

  it('loads and validates the package', () => {
    const p = loadModelPackage(model);
    const { vocabSize, dim } = p.manifest.embedding;
    assert.equal(p.embeddings.length, (vocabSize + 1) * dim);
    assert.equal(p.manifest.formatVersion, 1);
    assert.ok(path.isAbsolute(p.dir));
  });

  it("reads the graphs' interfaces from onnxruntime's sessions and checks them against the manifest", async () => {
    const p = loadModelPackage(model);
    const d = await ort().InferenceSession.create(p.paths.denoiser);
    const r = await ort().InferenceSession.create(p.paths.rounding);
    try {
      const denoiser = graphInfoOf(d);
      const rounding = graphInfoOf(r);
      assert.deepEqual(
        denoiser.inputs.slice(0, 2).map((v) => [v.name, v.type, v.rank]),
        [
          ['x_t', 'float32', 3],
          ['t', 'float32', 1],
        ],
      );
      assert.deepEqual(
        denoiser.outputs.map((v) => v.name),
        ['x0'],
      );
      assert.deepEqual(
        rounding.inputs.map((v) => [v.name, v.type, v.rank]),
        [
          ['x', 'float32', 3],
          ['embedding', 'float32', 2],
        ],
      );
      assert.deepEqual(
        rounding.outputs.map((v) => [v.name, v.type, v.rank]),
        [['tokens', 'int64', 2]],
      );
      checkGraphInterfaces(p, { denoiser, rounding });
      // A rank or type that does not fit is one clear line.
      const badRank = { ...rounding, outputs: [{ name: 'tokens', type: 'int64', rank: 3 }] };
      assert.throws(
        () => checkGraphInterfaces(p, { denoiser, rounding: badRank }),
        /rounding\.onnx output "tokens" has 3 dimensions, expected 2$/,
      );
      const badType = { ...rounding, outputs: [{ name: 'tokens', type: 'float32', rank: 2 }] };
      assert.throws(() => checkGraphInterfaces(p, { denoiser, rounding: badType }), /output "tokens" is float32, expected int64$/);
    } finally {
      await d.release();
      await r.release();
    }
  });

  describe('broken copies', () => {
    let dir: string;
    beforeEach(() => {
      dir = copyPackage(model, 'broken');
    });
    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('formatVersion 2', () => {
      editManifest(dir, (m) => (m.formatVersion = 2));
      expectError(dir, /: manifest\.json formatVersion 2 is not supported \(this engine reads 1\)$/);
    });
    it('formatVersion "1" (a string) says it must be a number, not that 1 is unsupported', () => {
      editManifest(dir, (m) => (m.formatVersion = '1'));
      expectError(dir, /: manifest\.json formatVersion must be the number 1, not the string "1"$/);
    });
    it('no formatVersion', () => {
      editManifest(dir, (m) => delete m.formatVersion);
      expectError(dir, /manifest\.json has no formatVersion \(this engine reads 1\)$/);
    });
    it('wrong format', () => {
      editManifest(dir, (m) => (m.format = 'diffuseq-v1'));
      expectError(dir, /manifest\.json format "diffuseq-v1" is not "diffuseq-v2"/);
    });
    it('missing field', () => {
      editManifest(dir, (m) => delete m.lengths.maxSource);
      expectError(dir, /manifest\.json is missing lengths\.maxSource \(an integer ≥ 3\)$/);
    });
    it('field of the wrong type', () => {
      editManifest(dir, (m) => (m.embedding.dim = '128'));
      expectError(dir, /manifest\.json embedding\.dim must be an integer ≥ 1, not "128"$/);
      editManifest(dir, (m) => {
        m.embedding.dim = 1;
        m.embedding.dtype = 'int8';
      });
      expectError(dir, /embedding\.dtype must be one of "float32", "float16", not "int8"/);
    });
    it('absorbingRow that is not vocabSize', () => {
      editManifest(dir, (m) => (m.embedding.absorbingRow = m.embedding.vocabSize - 1));
      expectError(dir, /embedding\.absorbingRow is \d+, expected vocabSize = \d+$/);
    });
    it('token and task ids outside the vocabulary', () => {
      editManifest(dir, (m) => (m.tokens.sep = m.embedding.vocabSize));
      expectError(dir, /tokens\.sep = \d+ is not below vocabSize/);
    });
    it('no tasks', () => {
      editManifest(dir, (m) => (m.tasks = {}));
      expectError(dir, /tasks is empty/);
    });
    it('a file path outside the package', () => {
      editManifest(dir, (m) => (m.files.denoiser = '../denoiser.onnx'));
      expectError(dir, /files\.denoiser must be a file name inside the package/);
    });
    it('missing files', () => {
      fs.rmSync(path.join(dir, 'denoiser.onnx'));
      expectError(dir, /: denoiser\.onnx is missing \(manifest files\.denoiser\)$/);
    });
    it('missing embeddings', () => {
      fs.rmSync(path.join(dir, 'embeddings.bin'));
      expectError(dir, /embeddings\.bin is missing \(manifest embedding\.file\)$/);
    });
    it('embeddings.bin of the wrong size', () => {
      const p = path.join(dir, 'embeddings.bin');
      fs.truncateSync(p, fs.statSync(p).size - 4);
      expectError(dir, /embeddings\.bin has \d+ bytes, expected \(vocabSize \+ 1\) · dim · 4 = /);
    });
    it('embeddings stored as float16 load as float32', () => {
      const ref = loadModelPackage(dir).embeddings;
      const p = path.join(dir, 'embeddings.bin');
      const f32 = new Float32Array(fs.readFileSync(p).buffer.slice(0));
      const half = Buffer.alloc(f32.length * 2);
      for (let i = 0; i < f32.length; i++) {
        half.writeUInt16LE(floatToHalf(f32[i]), i * 2);
      }
      fs.writeFileSync(p, half);
      editManifest(dir, (m) => (m.embedding.dtype = 'float16'));
      const got = loadModelPackage(dir).embeddings;
      assert.equal(got.length, ref.length);
      for (let i = 0; i < ref.length; i += 97) {
        assert.ok(Math.abs(got[i] - ref[i]) <= Math.abs(ref[i]) * 1e-3 + 1e-4, `row value ${i}`);
      }
    });
    it('corrupt denoiser.onnx', async () => {
      fs.writeFileSync(path.join(dir, 'denoiser.onnx'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
      await expectLoadError(dir, /: denoiser\.onnx is not a readable ONNX model \(/);
    });
    it('graphs swapped', async () => {
      fs.copyFileSync(path.join(model, 'rounding.onnx'), path.join(dir, 'denoiser.onnx'));
      await expectLoadError(dir, /denoiser\.onnx has no input "x_t" \(its inputs: x, embedding; expected x_t, t/);
    });
    it('self-conditioning flag that does not match the graph', async () => {
      const sc = loadModelPackage(dir).manifest.diffusion.selfConditioning;
      editManifest(dir, (m) => (m.diffusion.selfConditioning = !sc));
      await expectLoadError(
        dir,
        sc
          ? /unexpected input\(s\) "x_self_cond" \(the manifest says diffusion\.selfConditioning is false\)/
          : /has no input "x_self_cond"/,
      );
    });
    it('target-position layout that does not match the graph', async () => {
      const restart = loadModelPackage(dir).manifest.model?.targetPositions === 'restart';
      editManifest(dir, (m) => (m.model.targetPositions = restart ? 'absolute' : 'restart'));
      await expectLoadError(
        dir,
        restart
          ? /unexpected input\(s\) "target_start" \(the manifest does not say model\.targetPositions is "restart"\)/
          : /has no input "target_start"/,
      );
    });
    it('unknown target-position layout', () => {
      editManifest(dir, (m) => (m.model.targetPositions = 'relative'));
      expectError(dir, /model\.targetPositions must be one of "absolute", "restart", not "relative"/);
    });
    it('tokenizer.json that is not JSON', () => {
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{');
      expectError(dir, /tokenizer\.json is not valid JSON/);
    });
    it('a word list: read when the manifest names one, refused when missing or of another version', () => {
      fs.writeFileSync(path.join(dir, 'words.txt.gz'), encodeWordList(['cat', 'dog']));
      editManifest(dir, (m) => (m.files.words = 'words.txt.gz'));
      assert.deepEqual(loadModelPackage(dir).words, ['cat', 'dog']);
      fs.writeFileSync(path.join(dir, 'words.txt.gz'), gzipSync('#diffuseq-words 9\ncat\n'));
      expectError(dir, /words\.txt\.gz \(manifest files\.words\) is version 9 \(this engine reads version 1\)$/);
      fs.rmSync(path.join(dir, 'words.txt.gz'));
      expectError(dir, /words\.txt\.gz is missing \(manifest files\.words\)$/);
    });
    it('a package without a word list loads as before: no words, an engine that invents what it may', async () => {
      editManifest(dir, (m) => delete m.files.words);
      fs.rmSync(path.join(dir, 'words.txt.gz'), { force: true });
      assert.equal(loadModelPackage(dir).words, undefined);
      const engine = await RewriteEngine.load(dir, { executionProvider: 'cpu', threads: 1 });
      try {
        assert.equal(engine.hasWordList, false);
        assert.equal(engine.inventedWords('purrswanger', 'a cat'), undefined);
        const r = await engine.rewrite('How can I be a good geologist?', {
          task: engine.tasks[0] as 'paraphrase',
          candidates: 4,
          steps: 2,
          seed: 1,
        });
        assert.equal(r.candidates.length, 4);
        assert.equal(r.constraints?.inventedWordsReplaced, 0);
      } finally {
        await engine.dispose();
      }
    });
  });
});

/** float32 → float16 bits (round to nearest even), for building a float16 copy of a real package. */
function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >> shift;
    if ((mant >> (shift - 1)) & 1 && ((mant & ((1 << (shift - 1)) - 1)) !== 0 || h & 1)) h++;
    return sign | h;
  }
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >> 13);
  if (mant & 0x1000 && ((mant & 0xfff) !== 0 || h & 1)) h++;
  return h;
}
