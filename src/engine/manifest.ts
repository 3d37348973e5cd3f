/**
 * The manifest of a model package (docs/model-format.md): its fields, reading it as JSON, and checking it. Every
 * problem is one `ModelPackageError` whose message names the folder and the field.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelPackageError } from './errors';

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

type Fail = (detail: string) => never;

/** Checks every field the engine reads; `fail` throws with the detail (the caller adds the folder). */
export function validateManifest(raw: unknown, fail: Fail): ModelManifest {
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
