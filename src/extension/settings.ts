/**
 * The `diffuseq.*` settings, read through a getter so the mapping (defaults, clamping, validation) is a
 * pure function the unit tests cover. package.json's `contributes.configuration` declares the same
 * names, defaults and ranges; test/extension/manifest.test.ts checks they agree.
 */
import { EXECUTION_PROVIDER_CHOICES, type ExecutionProviderChoice } from '../engine';

export type ApplyMode = 'panel' | 'applyBest';

export interface Settings {
  candidates: number;
  steps: number;
  order: 1 | 2 | 3;
  /** undefined = a new random seed each run. */
  seed: number | undefined;
  executionProvider: ExecutionProviderChoice;
  /** A model package folder, or a folder of packages; '' = none. */
  modelPath: string;
  applyMode: ApplyMode;
}

export const SETTING_RANGES = {
  candidates: { min: 1, max: 32, default: 8 },
  steps: { min: 1, max: 50, default: 10 },
  order: { min: 1, max: 3, default: 2 },
  seed: { min: 0, max: 2147483647 },
} as const;

/** The engine's list (src/engine/types.ts); package.json's enum for the setting is checked against it by a test. */
export const EXECUTION_PROVIDERS: readonly ExecutionProviderChoice[] = EXECUTION_PROVIDER_CHOICES;
export const APPLY_MODES: readonly ApplyMode[] = ['panel', 'applyBest'];

function intIn(v: unknown, r: { min: number; max: number; default: number }): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) return r.default;
  return Math.min(r.max, Math.max(r.min, Math.round(n)));
}

/** `get(key)` returns the raw setting value (undefined when unset). */
export function readSettings(get: (key: keyof Settings) => unknown): Settings {
  const seedRaw = get('seed');
  let seed: number | undefined;
  const seedNum = typeof seedRaw === 'string' ? (seedRaw.trim() === '' ? NaN : Number(seedRaw)) : seedRaw;
  if (typeof seedNum === 'number' && Number.isFinite(seedNum)) {
    seed = Math.min(SETTING_RANGES.seed.max, Math.max(SETTING_RANGES.seed.min, Math.round(seedNum)));
  }
  const ep = get('executionProvider');
  const mode = get('applyMode');
  const modelPath = get('modelPath');
  return {
    candidates: intIn(get('candidates'), SETTING_RANGES.candidates),
    steps: intIn(get('steps'), SETTING_RANGES.steps),
    order: intIn(get('order'), SETTING_RANGES.order) as 1 | 2 | 3,
    seed,
    executionProvider: EXECUTION_PROVIDERS.includes(ep as ExecutionProviderChoice) ? (ep as ExecutionProviderChoice) : 'auto',
    modelPath: typeof modelPath === 'string' ? modelPath.trim() : '',
    applyMode: APPLY_MODES.includes(mode as ApplyMode) ? (mode as ApplyMode) : 'panel',
  };
}

/** A random seed in the setting's range (runs with no fixed seed get one, so Regenerate can change it). */
export function randomSeed(rand: () => number = Math.random): number {
  return Math.floor(rand() * SETTING_RANGES.seed.max);
}

/** "More steps": double, capped at the maximum. */
export function moreSteps(steps: number): number {
  return Math.min(SETTING_RANGES.steps.max, Math.max(steps + 1, steps * 2));
}
