/**
 * Loading and validating a model package (docs/model-format.md). Every problem is reported as one
 * `ModelPackageError` whose message names the folder and what is missing or wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeWordList } from './wordList';

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
  diffusion: {
    schedule: string;
    steps: number;
    absorbingRate: number;
    predict: 'x0';
    selfConditioning: boolean;
    /** Absent in packages made before it was recorded = 'replace-before-noise'. */
    forwardProcess?: ForwardProcess;
  };
  /** `words`: the word list (optional; without it the engine rounds without the word constraint). */
  files: { denoiser: string; rounding: string; tokenizer: string; tokenizerConfig: string; words?: string };
  model?: { parameters?: number; layers?: number; width?: number; heads?: number; [k: string]: unknown };
  provenance?: Record<string, unknown>;
  [k: string]: unknown;
}

/** One graph input/output as an onnxruntime session reports it (`session.inputMetadata`). */
export interface GraphValue {
  name: string;
  /** Element type ('float32', 'int64', …); undefined when not a tensor. */
  type?: string;
  /** Number of dimensions. */
  rank: number;
}

/** The interface of a graph: what onnxruntime's session reports (its inputs exclude the initializers). */
export interface GraphInfo {
  inputs: GraphValue[];
  outputs: GraphValue[];
}

/** What checkGraphInterfaces reads of a session (onnxruntime's InferenceSession has it). */
export interface SessionMetadata {
  readonly inputMetadata: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
  readonly outputMetadata: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
}

export interface ModelPackage {
  /** Absolute path of the package folder. */
  dir: string;
  manifest: ModelManifest;
  /** The (vocabSize + 1) × dim embedding matrix as float32 (converted when stored as float16). */
  embeddings: Float32Array;
  paths: { denoiser: string; rounding: string; tokenizer: string; tokenizerConfig: string; embeddings: string };
  /** The words of the tokenizer's training text (wordList.ts), when the package has a word list. */
  words?: string[];
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

/** Graph interface the engine needs: [name, element type, rank]. */
export const DENOISER_INPUTS: readonly [string, string, number][] = [
  ['x_t', 'float32', 3],
  ['t', 'float32', 1],
];
export const DENOISER_SELF_COND: [string, string, number] = ['x_self_cond', 'float32', 3];
/** Only with `model.targetPositions: "restart"`: the index of each row's first target position. */
export const DENOISER_TARGET_START: [string, string, number] = ['target_start', 'int64', 1];

/** How the denoiser numbers target positions (docs/model-format.md); absent in a manifest = 'absolute'. */
export const TARGET_POSITIONS = ['absolute', 'restart'] as const;
export type TargetPositions = (typeof TARGET_POSITIONS)[number];

export function targetPositionsOf(m: ModelManifest): TargetPositions {
  return (m.model?.targetPositions as TargetPositions | undefined) ?? 'absolute';
}

/**
 * Which q(x_t | x_0) the model was trained with (docs/model-format.md; the trainer's diffusion.py): 'official' is
 * DiffuSeq-v2's own (a Gaussian centred on the absorbing vector m, then exactly m), so the engine samples centred on
 * m; 'replace-before-noise' (every package made before the field existed) centres on 0.
 */
export const FORWARD_PROCESSES = ['official', 'replace-before-noise'] as const;
export type ForwardProcess = (typeof FORWARD_PROCESSES)[number];

export function forwardProcessOf(m: ModelManifest): ForwardProcess {
  return m.diffusion.forwardProcess ?? 'replace-before-noise';
}
export const DENOISER_OUTPUTS: readonly [string, string, number][] = [['x0', 'float32', 3]];
export const ROUNDING_INPUTS: readonly [string, string, number][] = [
  ['x', 'float32', 3],
  ['embedding', 'float32', 2],
];
export const ROUNDING_OUTPUTS: readonly [string, string, number][] = [['tokens', 'int64', 2]];

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

  return { dir: abs, manifest, embeddings, paths, words: readWords(abs, manifest, fail) };
}

/** The package's word list (manifest `files.words`), or undefined for a package without one. */
function readWords(abs: string, manifest: ModelManifest, fail: (detail: string) => never): string[] | undefined {
  const rel = manifest.files.words;
  if (rel === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(abs, rel));
  } catch {
    return fail(`${rel} is missing (manifest files.words)`);
  }
  try {
    return decodeWordList(bytes);
  } catch (e) {
    return fail(`${rel} (manifest files.words) ${(e as Error).message}`);
  }
}

/** A session's interface as GraphInfo. */
export function graphInfoOf(session: SessionMetadata): GraphInfo {
  const value = (m: SessionMetadata['inputMetadata'][number]): GraphValue => ({
    name: m.name,
    type: m.isTensor ? m.type : undefined,
    rank: m.shape?.length ?? 0,
  });
  return { inputs: session.inputMetadata.map(value), outputs: session.outputMetadata.map(value) };
}

/**
 * Checks the graphs' inputs and outputs — as onnxruntime's sessions report them — against what the manifest
 * says the engine will feed: x_t/t (+ x_self_cond, + target_start) → x0, and x/embedding → tokens. A package
 * whose graphs do not fit its manifest is refused with one ModelPackageError.
 */
export function checkGraphInterfaces(
  pkg: Pick<ModelPackage, 'dir' | 'manifest'>,
  graphs: { denoiser: GraphInfo; rounding: GraphInfo },
): void {
  const { manifest } = pkg;
  const fail = (detail: string): never => {
    throw new ModelPackageError(pkg.dir, detail);
  };
  const denoiserInputs = [...DENOISER_INPUTS];
  if (manifest.diffusion.selfConditioning) {
    denoiserInputs.push(DENOISER_SELF_COND);
  }
  if (targetPositionsOf(manifest) === 'restart') {
    denoiserInputs.push(DENOISER_TARGET_START);
  }
  checkGraph(graphs.denoiser, manifest.files.denoiser, denoiserInputs, DENOISER_OUTPUTS, fail);
  checkGraph(graphs.rounding, manifest.files.rounding, ROUNDING_INPUTS, ROUNDING_OUTPUTS, fail);
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
  inputs: readonly [string, string, number][],
  outputs: readonly [string, string, number][],
  fail: (d: string) => never,
): void {
  const check = (kind: 'input' | 'output', declared: GraphValue[], wanted: readonly [string, string, number][]) => {
    for (const [name, type, rank] of wanted) {
      const v = declared.find((d) => d.name === name);
      if (!v) {
        fail(
          `${rel} has no ${kind} "${name}" (its ${kind}s: ${declared.map((d) => d.name).join(', ') || 'none'}; ` +
            `expected ${wanted.map((w) => w[0]).join(', ')})`,
        );
        return;
      }
      if (v.type !== type) {
        fail(`${rel} ${kind} "${name}" is ${v.type ?? 'not a tensor'}, expected ${type}`);
      }
      if (v.rank !== rank) {
        fail(`${rel} ${kind} "${name}" has ${v.rank} dimensions, expected ${rank}`);
      }
    }
  };
  check('input', g.inputs, inputs);
  check('output', g.outputs, outputs);
  const extra = g.inputs.filter((v) => !inputs.some((w) => w[0] === v.name));
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
        : typeof m.formatVersion !== 'number'
          ? `manifest.json formatVersion must be the number ${FORMAT_VERSION}, not the ${typeof m.formatVersion} ${JSON.stringify(m.formatVersion)}`
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
  f.oneOf('diffusion.forwardProcess', FORWARD_PROCESSES, true);
  f.oneOf('model.targetPositions', TARGET_POSITIONS, true);
  f.obj('files');
  f.str('files.denoiser');
  f.str('files.rounding');
  f.str('files.tokenizer');
  f.str('files.tokenizerConfig');
  f.str('files.words', true);
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
