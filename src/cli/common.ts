/** Shared pieces of `diffuseq rewrite` and `eval`: their sampling flags, the default model, output helpers. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelPackageError } from '../engine/package';
import { RewriteEngine } from '../engine/pipeline';
import type { ExecutionProviderChoice, SamplingChoices, Task } from '../engine/types';
import { type CommandIo, type FlagValue, type OptionSpec, choiceFlag, intFlag, usageError } from '../common/commandLine';

// The option lists are the engine's (src/engine/types.ts); re-exported under the names the CLI has used.
import { NOISE_INITS, SAMPLERS, SOLVER_VARIANTS, EXECUTION_PROVIDER_CHOICES as PROVIDERS } from '../engine/types';
export { NOISE_INITS, SAMPLERS, SOLVER_VARIANTS, PROVIDERS };

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
    provider: choiceFlag(command, 'provider', v.provider, PROVIDERS) ?? 'auto',
    threads: intFlag(command, 'threads', v.threads, 1, 256),
    constrain: v.unconstrained !== true,
    json: v.json === true,
    verbose: v.verbose === true,
  };
}

/** The package root: the nearest folder above this file with this project's package.json. */
export function packageRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    try {
      const name = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name;
      if (name === 'diffuseq-rewrite') {
        return dir;
      }
    } catch {
      // keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) {
      // Fall back to the layout out/src/cli → root.
      return path.resolve(start, '..', '..', '..');
    }
    dir = up;
  }
}

/** --model, else $DIFFUSEQ_MODEL, else models/default under the package root. */
export function resolveModelDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { dir: string; how: string } {
  if (flag) {
    return { dir: flag, how: '--model' };
  }
  if (env.DIFFUSEQ_MODEL) {
    return { dir: env.DIFFUSEQ_MODEL, how: 'DIFFUSEQ_MODEL' };
  }
  return { dir: path.join(packageRoot(), 'models', 'default'), how: 'default' };
}

/**
 * Loads the engine; a missing default model gets a hint on how to point at one. `--task` is checked against the
 * model's tasks here, so an unknown task is a usage error (exit 2) like every other bad flag.
 */
export async function loadEngine(
  command: string,
  model: { dir: string; how: string },
  f: SamplingFlags,
  io: CommandIo,
): Promise<RewriteEngine> {
  const log = f.verbose ? (m: string) => io.stderr.write(`diffuseq: ${m}\n`) : undefined;
  let engine: RewriteEngine;
  try {
    engine = await RewriteEngine.load(model.dir, { executionProvider: f.provider, threads: f.threads, log });
  } catch (e) {
    if (e instanceof ModelPackageError && /model folder not found$/.test(e.message)) {
      const hint =
        model.how === 'default'
          ? 'no model is installed there: pass --model DIR or set DIFFUSEQ_MODEL'
          : model.how === 'DIFFUSEQ_MODEL'
            ? 'from the DIFFUSEQ_MODEL environment variable'
            : 'from --model';
      throw new ModelPackageError(e.dir, `model folder not found (${hint})`);
    }
    throw e;
  }
  if (!engine.tasks.includes(f.task)) {
    await engine.dispose();
    throw usageError(command, `unknown task ${JSON.stringify(f.task)}: this model supports ${engine.tasks.join(', ')}`);
  }
  return engine;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return (await readAllText(stream)).text;
}

/** The stream as UTF-8 text, and how many invalid byte sequences became U+FFFD (said, not silently replaced). */
export async function readAllText(stream: NodeJS.ReadableStream): Promise<{ text: string; invalid: number }> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  }
  return decodeUtf8(Buffer.concat(chunks));
}

export function decodeUtf8(bytes: Uint8Array): { text: string; invalid: number } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), invalid: 0 };
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    const genuine = (
      Buffer.from(bytes)
        .toString('latin1')
        .match(/\xef\xbf\xbd/g) ?? []
    ).length;
    return { text, invalid: (text.match(/\uFFFD/g) ?? []).length - genuine };
  }
}

export function ms(v: number): string {
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

export function fmt(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}
