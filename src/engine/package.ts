/**
 * Loading and validating a model package (docs/model-format.md). Every problem is reported as one
 * `ModelPackageError` whose message names the folder and what is missing or wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FORMAT = 'diffuseq-v2';
export const MANIFEST_FILE = 'manifest.json';
export const FORMAT_VERSION = 1;

export interface TaskSpec {
  token: string;
  id: number;
}

export interface ModelManifest {
  format: string;
  formatVersion: number;
  name: string;
  description: string;
  tasks: Record<string, TaskSpec>;
  tokens: { pad: number; unk: number; sep: number };
  lengths: { maxSource: number; maxTarget: number; targetBudget: { ratio: number; extra: number } };
  embedding: { file: string; dtype: 'float32' | 'float16'; vocabSize: number; dim: number; absorbingRow: number };
  diffusion: { schedule: string; steps: number; absorbingRate: number; predict: 'x0'; selfConditioning: boolean };
  files: { denoiser: string; rounding: string; tokenizer: string; tokenizerConfig: string };
  model?: { parameters?: number; layers?: number; width?: number; heads?: number; [k: string]: unknown };
  provenance?: Record<string, unknown>;
  [k: string]: unknown;
}

/** One graph input/output as declared in an .onnx file. */
export interface GraphValue {
  name: string;
  /** ONNX TensorProto.DataType (1 = float32, 7 = int64, 10 = float16), 0 when not a tensor. */
  elemType: number;
  /** Number of dimensions, -1 when the shape is not declared. */
  rank: number;
}

export interface GraphInfo {
  inputs: GraphValue[];
  outputs: GraphValue[];
  initializers: Set<string>;
}

export interface ModelPackage {
  /** Absolute path of the package folder. */
  dir: string;
  manifest: ModelManifest;
  /** The (vocabSize + 1) × dim embedding matrix as float32 (converted when stored as float16). */
  embeddings: Float32Array;
  paths: { denoiser: string; rounding: string; tokenizer: string; tokenizerConfig: string; embeddings: string };
  graphs: { denoiser: GraphInfo; rounding: GraphInfo };
}

export class ModelPackageError extends Error {
  constructor(
    readonly dir: string,
    /** What is wrong, without the folder. */
    readonly detail: string,
  ) {
    super(`${dir}: ${detail}`);
    this.name = 'ModelPackageError';
  }
}

/** Graph interface the engine needs: [name, ONNX elem type, rank]. */
export const DENOISER_INPUTS: readonly [string, number, number][] = [
  ['x_t', 1, 3],
  ['t', 1, 1],
];
export const DENOISER_SELF_COND: [string, number, number] = ['x_self_cond', 1, 3];
/** Only with `model.targetPositions: "restart"`: the index of each row's first target position. */
export const DENOISER_TARGET_START: [string, number, number] = ['target_start', 7, 1];

/** How the denoiser numbers target positions (docs/model-format.md); absent in a manifest = 'absolute'. */
export const TARGET_POSITIONS = ['absolute', 'restart'] as const;
export type TargetPositions = (typeof TARGET_POSITIONS)[number];

export function targetPositionsOf(m: ModelManifest): TargetPositions {
  return (m.model?.targetPositions as TargetPositions | undefined) ?? 'absolute';
}
export const DENOISER_OUTPUTS: readonly [string, number, number][] = [['x0', 1, 3]];
export const ROUNDING_INPUTS: readonly [string, number, number][] = [
  ['x', 1, 3],
  ['embedding', 1, 2],
];
export const ROUNDING_OUTPUTS: readonly [string, number, number][] = [['tokens', 7, 2]];

const ELEM_NAMES: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64' };

/** Loads and validates the package in `dir`. Reads the embedding matrix; the .onnx files are only inspected. */
/**
 * The parsed manifest.json of `dir`, not validated: for listing packages (a half-broken one still shows up) and
 * for reading fields of a package being written. undefined when the file is missing; throws a ModelPackageError
 * when it is not JSON. A manifest of another format is returned too: compare `format` with FORMAT.
 */
export function readManifestJson(dir: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelPackageError(dir, `${MANIFEST_FILE} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw new ModelPackageError(dir, `${MANIFEST_FILE} is not a JSON object`);
  return raw;
}

export function loadModelPackage(dir: string): ModelPackage {
  // Name the folder as the user gave it (relative names stay short), but work with the absolute path.
  const shown = dir;
  const abs = path.resolve(dir);
  const fail = (detail: string): never => {
    throw new ModelPackageError(shown, detail);
  };
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return fail('model folder not found');
  }
  if (!st.isDirectory()) {
    fail('is not a folder (a model package is a folder with manifest.json)');
  }
  let raw: Record<string, unknown> | undefined;
  try {
    raw = readManifestJson(abs);
  } catch (e) {
    return fail((e as ModelPackageError).detail);
  }
  if (raw === undefined) return fail('manifest.json is missing');
  const manifest = validateManifest(raw, fail);

  const paths = {
    denoiser: path.join(abs, manifest.files.denoiser),
    rounding: path.join(abs, manifest.files.rounding),
    tokenizer: path.join(abs, manifest.files.tokenizer),
    tokenizerConfig: path.join(abs, manifest.files.tokenizerConfig),
    embeddings: path.join(abs, manifest.embedding.file),
  };
  for (const [key, p] of Object.entries(paths)) {
    if (!isFile(p)) {
      const field = key === 'embeddings' ? 'embedding.file' : `files.${key}`;
      fail(`${path.relative(abs, p)} is missing (manifest ${field})`);
    }
  }

  // embeddings.bin
  const { vocabSize, dim, dtype } = manifest.embedding;
  const bytesPer = dtype === 'float16' ? 2 : 4;
  const expected = (vocabSize + 1) * dim * bytesPer;
  const size = fs.statSync(paths.embeddings).size;
  if (size !== expected) {
    fail(
      `${manifest.embedding.file} has ${size} bytes, expected (vocabSize + 1) · dim · ${bytesPer} = ` +
        `(${vocabSize} + 1) · ${dim} · ${bytesPer} = ${expected}`,
    );
  }
  const buf = fs.readFileSync(paths.embeddings);
  const embeddings = decodeMatrix(buf, dtype, (vocabSize + 1) * dim);
  for (let i = 0; i < embeddings.length; i++) {
    if (!Number.isFinite(embeddings[i])) {
      fail(`${manifest.embedding.file} contains a non-finite value at row ${Math.floor(i / dim)}`);
    }
  }

  // tokenizer files must at least be JSON
  for (const key of ['tokenizer', 'tokenizerConfig'] as const) {
    try {
      JSON.parse(fs.readFileSync(paths[key], 'utf8'));
    } catch (e) {
      fail(`${manifest.files[key]} is not valid JSON (${(e as Error).message})`);
    }
  }

  // ONNX graphs
  const inspect = (file: string, rel: string): GraphInfo => {
    try {
      return readOnnxGraphInfo(file);
    } catch (e) {
      return fail(`${rel} is not a readable ONNX model (${(e as Error).message})`);
    }
  };
  const denoiser = inspect(paths.denoiser, manifest.files.denoiser);
  const rounding = inspect(paths.rounding, manifest.files.rounding);
  const denoiserInputs = [...DENOISER_INPUTS];
  if (manifest.diffusion.selfConditioning) {
    denoiserInputs.push(DENOISER_SELF_COND);
  }
  if (targetPositionsOf(manifest) === 'restart') {
    denoiserInputs.push(DENOISER_TARGET_START);
  }
  checkGraph(denoiser, manifest.files.denoiser, denoiserInputs, DENOISER_OUTPUTS, fail);
  checkGraph(rounding, manifest.files.rounding, ROUNDING_INPUTS, ROUNDING_OUTPUTS, fail);

  return { dir: abs, manifest, embeddings, paths, graphs: { denoiser, rounding } };
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function checkGraph(
  g: GraphInfo,
  rel: string,
  inputs: readonly [string, number, number][],
  outputs: readonly [string, number, number][],
  fail: (d: string) => never,
): void {
  const realInputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  const check = (kind: 'input' | 'output', declared: GraphValue[], wanted: readonly [string, number, number][]) => {
    for (const [name, elem, rank] of wanted) {
      const v = declared.find((d) => d.name === name);
      if (!v) {
        fail(
          `${rel} has no ${kind} "${name}" (its ${kind}s: ${declared.map((d) => d.name).join(', ') || 'none'}; ` +
            `expected ${wanted.map((w) => w[0]).join(', ')})`,
        );
        return;
      }
      if (v.elemType !== 0 && v.elemType !== elem) {
        fail(`${rel} ${kind} "${name}" is ${ELEM_NAMES[v.elemType] ?? `type ${v.elemType}`}, expected ${ELEM_NAMES[elem]}`);
      }
      if (v.rank >= 0 && v.rank !== rank) {
        fail(`${rel} ${kind} "${name}" has ${v.rank} dimensions, expected ${rank}`);
      }
    }
  };
  check('input', realInputs, inputs);
  check('output', g.outputs, outputs);
  const extra = realInputs.filter((v) => !inputs.some((w) => w[0] === v.name));
  if (extra.length > 0) {
    const hint = extra.some((v) => v.name === DENOISER_SELF_COND[0])
      ? ' (the manifest says diffusion.selfConditioning is false)'
      : extra.some((v) => v.name === DENOISER_TARGET_START[0])
        ? ' (the manifest does not say model.targetPositions is "restart")'
        : '';
    fail(`${rel} has unexpected input(s) ${extra.map((v) => `"${v.name}"`).join(', ')}${hint}`);
  }
}

/** float32 / float16 little-endian bytes → Float32Array (always a fresh, aligned copy). */
export function decodeMatrix(buf: Uint8Array, dtype: 'float32' | 'float16', count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dtype === 'float32') {
    for (let i = 0; i < count; i++) {
      out[i] = dv.getFloat32(i * 4, true);
    }
  } else {
    for (let i = 0; i < count; i++) {
      out[i] = halfToFloat(dv.getUint16(i * 2, true));
    }
  }
  return out;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) {
    return s * f * 2 ** -24;
  }
  if (e === 31) {
    return f ? NaN : s * Infinity;
  }
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

// ---------------------------------------------------------------------------------------------------------
// manifest validation

type Fail = (detail: string) => never;

function validateManifest(raw: unknown, fail: Fail): ModelManifest {
  if (!isObj(raw)) {
    return fail('manifest.json is not a JSON object');
  }
  const m = raw as Record<string, unknown>;
  if (m.format !== FORMAT) {
    fail(`manifest.json format ${JSON.stringify(m.format)} is not "${FORMAT}"`);
  }
  if (m.formatVersion !== FORMAT_VERSION) {
    fail(
      m.formatVersion === undefined
        ? `manifest.json has no formatVersion (this engine reads ${FORMAT_VERSION})`
        : `manifest.json formatVersion ${JSON.stringify(m.formatVersion)} is not supported (this engine reads ${FORMAT_VERSION})`,
    );
  }
  const f = new FieldChecker(m, fail);
  f.str('name');
  f.str('description', true);
  f.obj('tasks');
  f.obj('tokens');
  f.int('tokens.pad', 0);
  f.int('tokens.unk', 0);
  f.int('tokens.sep', 0);
  f.obj('lengths');
  f.int('lengths.maxSource', 3);
  f.int('lengths.maxTarget', 1);
  f.obj('lengths.targetBudget');
  f.num('lengths.targetBudget.ratio', 0);
  f.int('lengths.targetBudget.extra', 0);
  f.obj('embedding');
  f.str('embedding.file');
  f.oneOf('embedding.dtype', ['float32', 'float16']);
  f.int('embedding.vocabSize', 1);
  f.int('embedding.dim', 1);
  f.int('embedding.absorbingRow', 0);
  f.obj('diffusion');
  f.oneOf('diffusion.schedule', ['sqrt']);
  f.int('diffusion.steps', 2);
  f.num('diffusion.absorbingRate', 0, 1);
  f.oneOf('diffusion.predict', ['x0']);
  f.bool('diffusion.selfConditioning');
  f.oneOf('model.targetPositions', TARGET_POSITIONS, true);
  f.obj('files');
  f.str('files.denoiser');
  f.str('files.rounding');
  f.str('files.tokenizer');
  f.str('files.tokenizerConfig');
  const man = m as unknown as ModelManifest;
  const V = man.embedding.vocabSize;
  if (man.embedding.absorbingRow !== V) {
    fail(`manifest.json embedding.absorbingRow is ${man.embedding.absorbingRow}, expected vocabSize = ${V}`);
  }
  for (const k of ['pad', 'unk', 'sep'] as const) {
    if (man.tokens[k] >= V) {
      fail(`manifest.json tokens.${k} = ${man.tokens[k]} is not below vocabSize ${V}`);
    }
  }
  const taskNames = Object.keys(man.tasks);
  if (taskNames.length === 0) {
    fail('manifest.json tasks is empty (the model must support at least one task)');
  }
  for (const name of taskNames) {
    const t = man.tasks[name] as unknown;
    if (!isObj(t) || typeof t.token !== 'string' || !Number.isInteger(t.id) || (t.id as number) < 0) {
      fail(`manifest.json tasks.${name} must be {"token": string, "id": integer}`);
    }
    if ((t.id as number) >= V) {
      fail(`manifest.json tasks.${name}.id = ${t.id as number} is not below vocabSize ${V}`);
    }
  }
  if (man.model !== undefined && !isObj(man.model)) {
    fail('manifest.json model must be an object');
  }
  if (man.provenance !== undefined && !isObj(man.provenance)) {
    fail('manifest.json provenance must be an object');
  }
  for (const [k, v] of Object.entries(man.files)) {
    if (path.isAbsolute(v as string) || (v as string).split(/[\\/]/).includes('..')) {
      fail(`manifest.json files.${k} must be a file name inside the package, not ${JSON.stringify(v)}`);
    }
  }
  return man;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class FieldChecker {
  constructor(
    private readonly root: Record<string, unknown>,
    private readonly fail: Fail,
  ) {}

  private get(p: string): { present: boolean; value: unknown } {
    let cur: unknown = this.root;
    for (const part of p.split('.')) {
      if (!isObj(cur) || !(part in cur)) {
        return { present: false, value: undefined };
      }
      cur = cur[part];
    }
    return { present: true, value: cur };
  }

  private need(p: string, what: string, ok: (v: unknown) => boolean, optional = false): void {
    const { present, value } = this.get(p);
    if (!present) {
      if (optional) {
        return;
      }
      this.fail(`manifest.json is missing ${p} (${what})`);
    }
    if (!ok(value)) {
      this.fail(`manifest.json ${p} must be ${what}, not ${JSON.stringify(value)}`);
    }
  }

  str(p: string, optional = false): void {
    this.need(p, 'a string', (v) => typeof v === 'string' && (optional || v.length > 0), optional);
  }
  bool(p: string): void {
    this.need(p, 'true or false', (v) => typeof v === 'boolean');
  }
  obj(p: string): void {
    this.need(p, 'an object', isObj);
  }
  int(p: string, min: number): void {
    this.need(p, `an integer ≥ ${min}`, (v) => Number.isInteger(v) && (v as number) >= min);
  }
  num(p: string, min: number, max = Infinity): void {
    const what = max === Infinity ? `a number > ${min}` : `a number in [${min}, ${max}]`;
    this.need(p, what, (v) => typeof v === 'number' && Number.isFinite(v) && (max === Infinity ? v > min : v >= min && v <= max));
  }
  oneOf(p: string, values: readonly string[], optional = false): void {
    this.need(p, `one of ${values.map((v) => `"${v}"`).join(', ')}`, (v) => values.includes(v as string), optional);
  }
}

// ---------------------------------------------------------------------------------------------------------
// A minimal ONNX (protobuf) reader: the graph's inputs, outputs and initializer names, read with positioned
// reads so that large initializers are skipped rather than loaded.

class FileCursor {
  private readonly buf = Buffer.alloc(1 << 16);
  private bufStart = 0;
  private bufLen = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  byte(): number {
    if (this.pos >= this.size) {
      throw new Error('unexpected end of file');
    }
    if (this.pos < this.bufStart || this.pos >= this.bufStart + this.bufLen) {
      this.bufStart = this.pos;
      this.bufLen = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (this.bufLen <= 0) {
        throw new Error('unexpected end of file');
      }
    }
    return this.buf[this.pos++ - this.bufStart];
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        return result;
      }
      mul *= 128;
    }
    throw new Error('bad varint');
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.size) {
      throw new Error('unexpected end of file');
    }
    const out = Buffer.alloc(n);
    fs.readSync(this.fd, out, 0, n, this.pos);
    this.pos += n;
    return out;
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        const n = this.varint(); // read before `pos` is used: `pos += varint()` would add to the old position
        this.pos += n;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`bad protobuf wire type ${wire}`);
    }
    // unreachable
  }

  /** Iterates the fields of a message ending at `end`, calling `onField(field, wire, endOfField)`. */
  fields(end: number, onField: (field: number, wire: number) => boolean): void {
    while (this.pos < end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 0) {
        throw new Error('bad protobuf field number 0');
      }
      if (!onField(field, wire)) {
        this.skip(wire);
      }
      if (this.pos > end) {
        throw new Error('truncated protobuf message');
      }
    }
  }
}

/** Reads graph inputs/outputs/initializer names of an .onnx file (ModelProto.graph = field 7). */
export function readOnnxGraphInfo(file: string): GraphInfo {
  const fd = fs.openSync(file, 'r');
  try {
    const c = new FileCursor(fd, fs.fstatSync(fd).size);
    const info: GraphInfo = { inputs: [], outputs: [], initializers: new Set() };
    let sawGraph = false;
    c.fields(c.size, (field, wire) => {
      if (field === 7 && wire === 2) {
        const len = c.varint();
        readGraph(c, c.pos + len, info);
        sawGraph = true;
        return true;
      }
      return false;
    });
    if (!sawGraph) {
      throw new Error('no graph found');
    }
    return info;
  } finally {
    fs.closeSync(fd);
  }
}

function readGraph(c: FileCursor, end: number, info: GraphInfo): void {
  c.fields(end, (field, wire) => {
    if (wire !== 2) {
      return false;
    }
    if (field === 11 || field === 12) {
      const len = c.varint();
      const v = readValueInfo(c, c.pos + len);
      (field === 11 ? info.inputs : info.outputs).push(v);
      return true;
    }
    if (field === 5) {
      // TensorProto: name = field 8
      const len = c.varint();
      const tensorEnd = c.pos + len;
      c.fields(tensorEnd, (f, w) => {
        if (f === 8 && w === 2) {
          info.initializers.add(c.bytes(c.varint()).toString('utf8'));
          return true;
        }
        return false;
      });
      return true;
    }
    return false;
  });
}

function readValueInfo(c: FileCursor, end: number): GraphValue {
  const v: GraphValue = { name: '', elemType: 0, rank: -1 };
  c.fields(end, (field, wire) => {
    if (field === 1 && wire === 2) {
      v.name = c.bytes(c.varint()).toString('utf8');
      return true;
    }
    if (field === 2 && wire === 2) {
      // TypeProto: tensor_type = field 1 → elem_type (1), shape (2) → dim (1)*
      const tLen = c.varint();
      const tEnd = c.pos + tLen;
      c.fields(tEnd, (tf, tw) => {
        if (tf === 1 && tw === 2) {
          const ttLen = c.varint();
          const ttEnd = c.pos + ttLen;
          c.fields(ttEnd, (f, w) => {
            if (f === 1 && w === 0) {
              v.elemType = c.varint();
              return true;
            }
            if (f === 2 && w === 2) {
              const sLen = c.varint();
              const sEnd = c.pos + sLen;
              v.rank = 0;
              c.fields(sEnd, (sf, sw) => {
                if (sf === 1 && sw === 2) {
                  v.rank++;
                }
                return false;
              });
              return true;
            }
            return false;
          });
          return true;
        }
        return false;
      });
      return true;
    }
    return false;
  });
  return v;
}
