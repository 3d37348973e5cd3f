/** The sampling flags `diffuseq rewrite` and `eval` share (--task, --steps, --sampler, …), checked before anything loads. */
import {
  EXECUTION_PROVIDER_CHOICES,
  NOISE_INITS,
  SAMPLERS,
  SOLVER_VARIANTS,
  type ExecutionProviderChoice,
  type SamplingChoices,
  type Task,
} from '../engine';
import { type FlagValue, type OptionSpec, choiceFlag, intFlag, usageError } from '../common/commandLine';

/** Options shared by `rewrite` and `eval`. */
export const SAMPLING_OPTIONS: OptionSpec = {
  task: { type: 'string' },
  model: { type: 'string' },
  candidates: { type: 'string' },
  steps: { type: 'string' },
  order: { type: 'string' },
  sampler: { type: 'string' },
  noise: { type: 'string' },
  solver: { type: 'string' },
  seed: { type: 'string' },
  provider: { type: 'string' },
  threads: { type: 'string' },
  unconstrained: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The parsed shared flags: the engine's sampling choices (with `--task` not yet checked) and the CLI's own. */
export interface SamplingFlags extends Omit<SamplingChoices, 'task'> {
  task: string;
  model?: string;
  provider: ExecutionProviderChoice;
  threads?: number;
  json: boolean;
  verbose: boolean;
}

/** The engine's sampling choices named by the flags (`--task` is checked against the model by the engine). */
export function samplingChoices(f: SamplingFlags): SamplingChoices {
  return {
    task: f.task as Task,
    candidates: f.candidates,
    steps: f.steps,
    order: f.order,
    sampler: f.sampler,
    noiseInit: f.noiseInit,
    solverVariant: f.solverVariant,
    seed: f.seed,
    constrain: f.constrain,
  };
}

/** Checks the shared flags before anything is loaded. `--task` is checked against the model later. */
export function samplingFlags(command: string, v: Record<string, FlagValue>): SamplingFlags {
  const task = v.task;
  if (typeof task !== 'string' || task.trim() === '') {
    throw usageError(command, '--task is required (paraphrase or simplify)');
  }
  const sampler = choiceFlag(command, 'sampler', v.sampler, SAMPLERS);
  // DPM-Solver++ takes 1–50 steps; DDPM's upper bound is the model's T, checked once the model is loaded.
  const steps = intFlag(command, 'steps', v.steps, 1, sampler === 'ddpm' ? 100000 : 50);
  const order = intFlag(command, 'order', v.order, 1, 3) as 1 | 2 | 3 | undefined;
  if (typeof v.model === 'string' && v.model.trim() === '') {
    throw usageError(command, '--model needs a folder');
  }
  return {
    task,
    model: v.model as string | undefined,
    candidates: intFlag(command, 'candidates', v.candidates, 1, 64),
    steps,
    order,
    sampler,
    noiseInit: choiceFlag(command, 'noise', v.noise, NOISE_INITS),
    solverVariant: choiceFlag(command, 'solver', v.solver, SOLVER_VARIANTS),
    seed: intFlag(command, 'seed', v.seed, 0, Number.MAX_SAFE_INTEGER),
    provider: choiceFlag(command, 'provider', v.provider, EXECUTION_PROVIDER_CHOICES) ?? 'auto',
    threads: intFlag(command, 'threads', v.threads, 1, 256),
    constrain: v.unconstrained !== true,
    json: v.json === true,
    verbose: v.verbose === true,
  };
}
