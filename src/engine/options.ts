/**
 * The rewrite options: their defaults, their limits, and the one check that turns a caller's RewriteOptions into
 * ResolvedOptions for a model (its tasks, its T), with a RewriteInputError that says what is wrong.
 */
import { randomInt } from 'node:crypto';
import { RewriteInputError } from './errors';
import type { ModelManifest } from './manifest';
import type { NoiseInit, RewriteOptions, SamplerName, SolverVariant, Task } from './types';
import { NOISE_INITS, SAMPLERS, SOLVER_VARIANTS, isOneOf } from './types';

export const DEFAULTS = {
  candidates: 8,
  steps: 10,
  order: 2 as 1 | 2 | 3,
  sampler: 'dpm' as SamplerName,
  noiseInit: 'gaussian' as NoiseInit,
  solverVariant: 'textbook' as SolverVariant,
  constrain: true,
};

export const LIMITS = { candidates: { min: 1, max: 64 }, steps: { min: 1, max: 50 } };

/** RewriteOptions with defaults filled in and ranges checked. */
export interface ResolvedOptions {
  task: Task;
  taskId: number;
  candidates: number;
  /** dpm: solver steps; ddpm: respaced step count (T when not given). */
  steps: number;
  order: 1 | 2 | 3;
  sampler: SamplerName;
  noiseInit: NoiseInit;
  solverVariant: SolverVariant;
  seed: number;
  /** Constrained rounding (with the package's word list) and repeat collapse; false = the raw argmax. */
  constrain: boolean;
}

/** Fills in defaults and checks every option against `manifest`'s model; throws RewriteInputError with a clear message. */
export function resolveOptions(manifest: Pick<ModelManifest, 'tasks' | 'diffusion'>, opts: RewriteOptions): ResolvedOptions {
  const m = manifest;
  const task = opts?.task;
  const spec = typeof task === 'string' ? m.tasks[task] : undefined;
  if (!spec) {
    throw new RewriteInputError(`unknown task ${JSON.stringify(task)}: this model supports ${Object.keys(m.tasks).join(', ')}`);
  }
  const sampler = opts.sampler ?? DEFAULTS.sampler;
  if (!isOneOf(SAMPLERS, sampler)) {
    throw new RewriteInputError(`unknown sampler ${JSON.stringify(sampler)} (${SAMPLERS.join(' or ')})`);
  }
  const candidates = opts.candidates ?? DEFAULTS.candidates;
  checkInt('candidates', candidates, LIMITS.candidates.min, LIMITS.candidates.max);
  const T = m.diffusion.steps;
  const steps = opts.steps ?? (sampler === 'dpm' ? DEFAULTS.steps : T);
  if (sampler === 'dpm') {
    checkInt('steps', steps, LIMITS.steps.min, LIMITS.steps.max);
  } else {
    checkInt('steps', steps, 1, T);
  }
  const order = opts.order ?? DEFAULTS.order;
  if (order !== 1 && order !== 2 && order !== 3) {
    throw new RewriteInputError(`order must be 1, 2 or 3 (got ${String(order)})`);
  }
  const noiseInit = opts.noiseInit ?? DEFAULTS.noiseInit;
  if (!isOneOf(NOISE_INITS, noiseInit)) {
    throw new RewriteInputError(`unknown noise init ${JSON.stringify(noiseInit)} (${NOISE_INITS.join(' or ')})`);
  }
  const solverVariant = opts.solverVariant ?? DEFAULTS.solverVariant;
  if (!isOneOf(SOLVER_VARIANTS, solverVariant)) {
    throw new RewriteInputError(`unknown solver variant ${JSON.stringify(solverVariant)} (${SOLVER_VARIANTS.join(' or ')})`);
  }
  let seed = opts.seed;
  if (seed === undefined) {
    seed = randomInt(0, 2 ** 31);
  } else if (!Number.isSafeInteger(seed)) {
    throw new RewriteInputError(`seed must be an integer (got ${String(seed)})`);
  }
  const constrain = opts.constrain ?? DEFAULTS.constrain;
  if (typeof constrain !== 'boolean') {
    throw new RewriteInputError(`constrain must be true or false (got ${String(constrain)})`);
  }
  return { task: task as Task, taskId: spec.id, candidates, steps, order, sampler, noiseInit, solverVariant, seed, constrain };
}

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RewriteInputError(`${name} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
}
