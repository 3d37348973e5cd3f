/**
 * The graphs' interfaces: what the engine feeds the denoiser and the rounding graph and reads back, checked against
 * what onnxruntime's sessions report, so that a package whose graphs do not fit its manifest is refused with one
 * ModelPackageError.
 */
import { ModelPackageError } from './errors';
import { targetPositionsOf, type ModelManifest } from './manifest';

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

/** Graph interface the engine needs: [name, element type, rank]. */
export const DENOISER_INPUTS: readonly [string, string, number][] = [
  ['x_t', 'float32', 3],
  ['t', 'float32', 1],
];
export const DENOISER_SELF_COND: [string, string, number] = ['x_self_cond', 'float32', 3];
/** Only with `model.targetPositions: "restart"`: the index of each row's first target position. */
export const DENOISER_TARGET_START: [string, string, number] = ['target_start', 'int64', 1];

export const DENOISER_OUTPUTS: readonly [string, string, number][] = [['x0', 'float32', 3]];
export const ROUNDING_INPUTS: readonly [string, string, number][] = [
  ['x', 'float32', 3],
  ['embedding', 'float32', 2],
];
export const ROUNDING_OUTPUTS: readonly [string, string, number][] = [['tokens', 'int64', 2]];

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
  pkg: { dir: string; manifest: ModelManifest },
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
