/**
 * Exporting a checkpoint as a model package: `exportModel` runs the Python exporter, then checks the ONNX files
 * with onnxruntime-node (opened by the engine's own src/engine/session.ts, as the engine will run them) against the
 * PyTorch outputs the exporter left in `parity/`, records `provenance.parity` in manifest.json, deletes `parity/`,
 * and fails loudly above tolerance. The `diffuseq export` command line is src/cli/export.ts.
 */
import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { UserError } from '../common/commandLine';
import { MANIFEST_FILE, type ModelManifest, decodeMatrix, readManifestJson, createSessions, ort } from '../engine';
import { findTrainerRoot, requirePythonWithTorch, trainerProcessEnv } from './pythonEnv';

/** Max |onnxruntime − PyTorch| allowed on the denoiser output x0. */
export const TOLERANCE_FLOAT32 = 1e-3;
/** float16 packages: room for a future graph that computes in float16 (today --fp16 only stores the weights so). */
export const TOLERANCE_FLOAT16 = 2e-2;

type DType = 'float32' | 'float16' | 'int64' | 'int32';

interface TensorRef {
  file: string;
  shape: number[];
  dtype: DType;
}

interface ParityCase {
  model: 'denoiser' | 'rounding';
  inputs: Record<string, TensorRef>;
  outputs: Record<string, TensorRef>;
}

export interface ParityResult {
  maxAbsDiff: number;
  /** Max |diff| of the rounding graph's tokens agreement: share of equal tokens (1 = all). */
  tokenAgreement: number;
  tokensCompared: number;
  tokensDisagreeing: number;
  batches: number;
  tolerance: number;
  runtime: string;
  perBatch: { model: string; maxAbsDiff?: number; disagreeing?: number }[];
}

function ortVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// parity.json

function asTensorRef(v: unknown, where: string): TensorRef {
  if (typeof v === 'string') throw new UserError(`${where}: a tensor needs "file" and "shape"`);
  const o = v as Record<string, unknown>;
  if (!o || typeof o.file !== 'string' || !Array.isArray(o.shape))
    throw new UserError(`${where}: a tensor needs "file" and "shape" (got ${JSON.stringify(v)?.slice(0, 120)})`);
  const dtype = (o.dtype ?? 'float32') as DType;
  if (!['float32', 'float16', 'int64', 'int32'].includes(dtype)) throw new UserError(`${where}: unsupported dtype ${String(o.dtype)}`);
  return { file: o.file, shape: (o.shape as unknown[]).map(Number), dtype };
}

function asTensorMap(v: unknown, where: string): Record<string, TensorRef> {
  if (!v || typeof v !== 'object') throw new UserError(`${where}: expected an object of tensors`);
  const out: Record<string, TensorRef> = {};
  for (const [k, t] of Object.entries(v as Record<string, unknown>)) out[k] = asTensorRef(t, `${where}.${k}`);
  return out;
}

function asCase(model: 'denoiser' | 'rounding', v: unknown, where: string): ParityCase {
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new UserError(`${where}: expected {inputs, outputs}`);
  return { model, inputs: asTensorMap(o.inputs, `${where}.inputs`), outputs: asTensorMap(o.outputs, `${where}.outputs`) };
}

/**
 * Reads parity/parity.json. Accepted layouts:
 * `{"batches":[{"denoiser":{"inputs":{…},"outputs":{…}},"rounding":{"inputs":{…},"outputs":{…}}},…]}` or
 * `{"denoiser":[{inputs,outputs}…],"rounding":[{inputs,outputs}…]}`; a tensor is `{"file","shape","dtype"}`
 * with the file relative to parity/ (raw little-endian).
 */
export function readParitySpec(dir: string): { cases: ParityCase[]; raw: Record<string, unknown> } {
  const file = path.join(dir, 'parity.json');
  if (!fs.existsSync(file)) throw new UserError(`parity check: ${file} is missing (the Python exporter writes it)`);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const cases: ParityCase[] = [];
  if (Array.isArray(raw.batches)) {
    raw.batches.forEach((b: Record<string, unknown>, i: number) => {
      if (b.denoiser) cases.push(asCase('denoiser', b.denoiser, `batches[${i}].denoiser`));
      else if (b.inputs && b.outputs) cases.push(asCase('denoiser', b, `batches[${i}]`));
      if (b.rounding) cases.push(asCase('rounding', b.rounding, `batches[${i}].rounding`));
    });
  }
  for (const model of ['denoiser', 'rounding'] as const) {
    if (Array.isArray(raw[model])) (raw[model] as unknown[]).forEach((c, i) => cases.push(asCase(model, c, `${model}[${i}]`)));
  }
  if (!cases.some((c) => c.model === 'denoiser')) throw new UserError(`parity check: ${file} has no denoiser batches`);
  return { cases, raw };
}

function readRaw(dir: string, t: TensorRef): Float32Array | BigInt64Array | Int32Array {
  const buf = fs.readFileSync(path.join(dir, t.file));
  const n = t.shape.reduce((a, b) => a * b, 1);
  const width = t.dtype === 'int64' ? 8 : t.dtype === 'float16' ? 2 : 4;
  if (buf.length !== n * width)
    throw new UserError(`parity check: ${t.file} has ${buf.length} bytes, expected ${n * width} for ${t.dtype} [${t.shape.join(',')}]`);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  switch (t.dtype) {
    case 'float32':
      return new Float32Array(ab);
    case 'int32':
      return new Int32Array(ab);
    case 'int64':
      return new BigInt64Array(ab);
    case 'float16':
      return decodeMatrix(buf, 'float16', n);
  }
}

/** First `rows` rows of embeddings.bin as float32 (the engine passes these to rounding.onnx). */
function readEmbedding(pkg: string, manifest: Manifest): { data: Float32Array; dims: number[] } {
  const e = manifest.embedding;
  const ref: TensorRef = { file: e.file, shape: [e.vocabSize + 1, e.dim], dtype: e.dtype === 'float16' ? 'float16' : 'float32' };
  const all = readRaw(pkg, ref) as Float32Array;
  return { data: all.slice(0, e.vocabSize * e.dim), dims: [e.vocabSize, e.dim] };
}

/** The fields of manifest.json the check reads; the package is being written, so it is read as JSON. */
type Manifest = Pick<ModelManifest, 'embedding'> & Partial<Pick<ModelManifest, 'files'>> & { provenance?: Record<string, unknown> };

function readPackageManifest(pkg: string): Manifest {
  const m = readManifestJson(pkg);
  if (!m) throw new UserError(`parity check: ${path.join(pkg, MANIFEST_FILE)} is missing`);
  return m as unknown as Manifest;
}

// ---------------------------------------------------------------------------------------------------------------
// The check

/** Runs denoiser.onnx and rounding.onnx on the parity batches and compares with the PyTorch outputs. */
export async function checkParity(pkg: string, opts: { tolerance?: number } = {}): Promise<ParityResult> {
  const manifest = readPackageManifest(pkg);
  const fp16 = manifest.embedding?.dtype === 'float16';
  const tolerance = opts.tolerance ?? (fp16 ? TOLERANCE_FLOAT16 : TOLERANCE_FLOAT32);
  const pdir = path.join(pkg, 'parity');
  const { cases } = readParitySpec(pdir);
  const [denoiserFile, roundingFile] = (['denoiser', 'rounding'] as const).map((model) => {
    const f = path.join(pkg, manifest.files?.[model] ?? `${model}.onnx`);
    if (!fs.existsSync(f)) throw new UserError(`parity check: ${f} is missing`);
    return f;
  });
  // The engine's sessions on the CPU: the graphs are checked with the options the engine runs them with.
  const sessions = await createSessions(denoiserFile, roundingFile, { executionProvider: 'cpu' });
  const Ort = ort();
  let embedding: { data: Float32Array; dims: number[] } | undefined;
  const result: ParityResult = {
    maxAbsDiff: 0,
    tokenAgreement: 1,
    tokensCompared: 0,
    tokensDisagreeing: 0,
    batches: 0,
    tolerance,
    runtime: `onnxruntime-node ${ortVersion()}`,
    perBatch: [],
  };
  for (const c of cases) {
    const s: InferenceSession = sessions[c.model];
    const feeds: Record<string, Tensor> = {};
    for (const name of s.inputNames) {
      const ref = c.inputs[name];
      if (ref) {
        const data = readRaw(pdir, ref);
        const type = data instanceof BigInt64Array ? 'int64' : data instanceof Int32Array ? 'int32' : 'float32';
        feeds[name] = new Ort.Tensor(type, data, ref.shape);
      } else if (c.model === 'rounding' && name === 'embedding') {
        embedding ??= readEmbedding(pkg, manifest);
        feeds[name] = new Ort.Tensor('float32', embedding.data, embedding.dims);
      } else {
        throw new UserError(
          `parity check: ${c.model}.onnx needs input "${name}", which parity.json does not give (it has ${Object.keys(c.inputs).join(', ')})`,
        );
      }
    }
    const out = await s.run(feeds);
    const entry: ParityResult['perBatch'][number] = { model: c.model };
    for (const [name, ref] of Object.entries(c.outputs)) {
      const got = out[name];
      if (!got) throw new UserError(`parity check: ${c.model}.onnx has no output "${name}" (it has ${s.outputNames.join(', ')})`);
      const want = readRaw(pdir, ref);
      if (got.data.length !== want.length)
        throw new UserError(
          `parity check: ${c.model} output ${name} has ${got.data.length} values, PyTorch gave ${want.length} (shapes [${got.dims.join(',')}] vs [${ref.shape.join(',')}])`,
        );
      if (want instanceof Float32Array) {
        const g = got.data as Float32Array;
        let m = 0;
        for (let i = 0; i < g.length; i++) {
          const d = Math.abs(g[i] - want[i]);
          if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
        }
        entry.maxAbsDiff = Math.max(entry.maxAbsDiff ?? 0, m);
        result.maxAbsDiff = Math.max(result.maxAbsDiff, m);
      } else {
        const g = got.data as BigInt64Array | Int32Array;
        let bad = 0;
        for (let i = 0; i < g.length; i++) if (BigInt(g[i]) !== BigInt(want[i])) bad++;
        entry.disagreeing = (entry.disagreeing ?? 0) + bad;
        result.tokensCompared += g.length;
        result.tokensDisagreeing += bad;
      }
    }
    result.perBatch.push(entry);
    if (c.model === 'denoiser') result.batches++;
  }
  result.tokenAgreement = result.tokensCompared ? 1 - result.tokensDisagreeing / result.tokensCompared : 1;
  await sessions.denoiser.release();
  await sessions.rounding.release();
  return result;
}

/**
 * Checks parity of an exported package, records it in manifest.json and removes parity/.
 * Throws a UserError with the numbers when the check fails (parity/ is then kept for inspection).
 */
export async function verifyAndRecordParity(
  pkg: string,
  opts: { tolerance?: number; log?: (s: string) => void } = {},
): Promise<ParityResult> {
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const r = await checkParity(pkg, opts);
  const roundingChecked = r.tokensCompared > 0;
  log(
    `parity (${r.runtime}): denoiser max |Δ| = ${r.maxAbsDiff.toExponential(3)} over ${r.batches} batches (tolerance ${r.tolerance})` +
      (roundingChecked
        ? `; rounding tokens agree ${r.tokensCompared - r.tokensDisagreeing}/${r.tokensCompared}`
        : '; rounding: no reference tokens'),
  );
  const failures: string[] = [];
  if (!(r.maxAbsDiff <= r.tolerance)) failures.push(`denoiser max abs diff ${r.maxAbsDiff} > tolerance ${r.tolerance}`);
  if (r.tokensDisagreeing > 0) failures.push(`rounding tokens disagree at ${r.tokensDisagreeing} of ${r.tokensCompared} positions`);
  if (!roundingChecked) failures.push('parity/parity.json has no rounding batches with reference tokens');
  if (failures.length) {
    throw new UserError(
      `diffuseq export: PARITY CHECK FAILED for ${pkg}:\n  ${failures.join('\n  ')}\n  per batch: ${JSON.stringify(r.perBatch)}\n  The package is not usable; ${path.join(pkg, 'parity')} is kept for inspection.`,
      3,
    );
  }
  const manifestPath = path.join(pkg, MANIFEST_FILE);
  const manifest = readPackageManifest(pkg);
  manifest.provenance = manifest.provenance ?? {};
  manifest.provenance.parity = {
    maxAbsDiff: r.maxAbsDiff,
    batches: r.batches,
    tolerance: r.tolerance,
    runtime: r.runtime,
    tokenAgreement: r.tokenAgreement,
    tokensCompared: r.tokensCompared,
  };
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  fs.rmSync(path.join(pkg, 'parity'), { recursive: true, force: true });
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Running the Python exporter

export interface ExportOptions {
  checkpoint: string;
  out: string;
  fp16?: boolean;
  tolerance?: number;
  trainerRoot?: string;
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra arguments for the Python exporter, as is. */
  extraArgs?: string[];
  log?: (s: string) => void;
}

/**
 * The checkpoint file for `--checkpoint X`: X itself, or for a run folder (what `train --out` made) its
 * weights.pt (the EMA weights export uses), else its ckpt.pt. Anything else is one clear UserError.
 */
export function resolveCheckpoint(p: string): string {
  if (!fs.existsSync(p)) throw new UserError(`diffuseq export: checkpoint ${p} not found`);
  if (!fs.statSync(p).isDirectory()) return p;
  for (const f of ['weights.pt', 'ckpt.pt']) if (fs.existsSync(path.join(p, f))) return path.join(p, f);
  throw new UserError(
    `diffuseq export: ${p} is a folder without weights.pt or ckpt.pt; give a run folder that \`diffuseq train --out\` wrote, or its weights.pt`,
  );
}

/** Runs `python -m diffuseq_trainer.export`, then the parity check. Resolves to the parity result. */
export async function exportModel(opts: ExportOptions): Promise<ParityResult> {
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const checkpoint = resolveCheckpoint(opts.checkpoint);
  const env = { ...(opts.env ?? process.env) };
  const python = opts.python ?? requirePythonWithTorch(env).executable;
  Object.assign(env, trainerProcessEnv(opts.trainerRoot ?? findTrainerRoot(), env));
  const args = ['-m', 'diffuseq_trainer.export', '--checkpoint', path.resolve(checkpoint), '--out', path.resolve(opts.out)];
  if (opts.fp16) args.push('--fp16');
  if (opts.extraArgs) args.push(...opts.extraArgs);
  log(`exporting ${checkpoint} → ${opts.out}${opts.fp16 ? ' (fp16)' : ''}`);
  const t0 = Date.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = cp.spawn(python, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => reject(new UserError(`diffuseq export: cannot start ${python}: ${e.message}`)));
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  if (code !== 0) throw new UserError(`diffuseq export: the Python exporter failed (exit ${code}); see its output above`, code);
  log(`python export took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return verifyAndRecordParity(opts.out, { tolerance: opts.tolerance, log });
}
