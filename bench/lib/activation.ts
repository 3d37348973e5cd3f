/**
 * The extension's activation time, as the extension measures it itself inside a real VS Code extension host
 * (src/extension/extension.ts: performance.now() marks at the bundle's first and last line and around activate(),
 * returned as `DiffuSeqApi.activation`). The integration test reads those marks (rewrite.itest.ts) and, when the
 * benchmark asks for them through ACTIVATION_OUT_ENV, appends them to that file, one JSON line per host start;
 * bench/speed/activation.ts starts the hosts and summarizes the lines here.
 */
import * as fs from 'fs';
import type { ActivationResult } from './schema';
import { summarize } from './stats';

/** The environment variable that names the file the integration test appends its activation sample to. */
export const ACTIVATION_OUT_ENV = 'DIFFUSEQ_ACTIVATION_OUT';

/** Mocha's --grep for the integration tests that activate the extension and record the sample. */
export const ACTIVATION_TESTS_GREP = 'activat';

/** One cold activation in one extension host (milliseconds, the extension's own marks). */
export interface ActivationSample {
  /** Evaluating the bundle's entry module: its first line to its last. */
  moduleMs: number;
  /** VS Code preparing the ExtensionContext, between the module's evaluation and activate(): the host's work. */
  contextMs: number;
  /** activate() itself. */
  activateMs: number;
  /** The host it was measured in: `vscode.env.appName` and `vscode.version`. */
  host: string;
}

export function appendActivationSample(file: string, s: ActivationSample): void {
  fs.appendFileSync(file, `${JSON.stringify(s)}\n`);
}

/** The samples in `file` (none when it does not exist). */
export function readActivationSamples(file: string): ActivationSample[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ActivationSample);
}

/**
 * The activation section of the result file from the samples: each part summarized, and the extension's own cost
 * (module evaluation + activate(), without the host's context preparation) as the total.
 */
export function activationFromSamples(
  samples: readonly ActivationSample[],
  bundle: NonNullable<ActivationResult['bundle']>,
  noisySpread: number,
): ActivationResult {
  if (samples.length === 0) throw new Error('no activation samples');
  const of = (f: (s: ActivationSample) => number) => summarize(samples.map(f), noisySpread);
  return {
    status: 'ok',
    bundle,
    host: [...new Set(samples.map((s) => s.host))].join(', '),
    moduleMs: of((s) => s.moduleMs),
    contextMs: of((s) => s.contextMs),
    activateMs: of((s) => s.activateMs),
    totalMs: of((s) => s.moduleMs + s.activateMs),
  };
}
