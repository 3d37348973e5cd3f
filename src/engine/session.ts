/**
 * onnxruntime-node sessions for the denoiser and the rounding graph, with execution-provider selection.
 *
 * 'cpu' always works. 'cuda' | 'dml' | 'webgpu' | 'coreml' are tried when asked for: the session is created with
 * that provider and, if that fails (binaries not installed, no device, wrong platform), again on the CPU; the
 * reason is logged. 'auto' picks CUDA on Linux/Windows when its binaries are present, DirectML on Windows,
 * CoreML on macOS, otherwise the CPU, and logs what it chose and why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { firstLine } from './errors';
import type { ExecutionProviderChoice, ExecutionProviderName } from './types';

export type Ort = typeof import('onnxruntime-node');

let ortModule: Ort | undefined;

/** onnxruntime-node, loaded on first use (so that pure parts of the engine load without the native binding). */
export function ort(): Ort {
  if (!ortModule) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as Ort;
    // onnxruntime prints provider-loading failures to stderr by itself; the engine reports them through its `log`
    // (with the reason), so keep onnxruntime quiet unless DIFFUSEQ_ORT_LOG asks for more (verbose|info|warning|error).
    const level = process.env.DIFFUSEQ_ORT_LOG;
    const levels = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
    ortModule.env.logLevel = levels.includes(level as (typeof levels)[number]) ? (level as (typeof levels)[number]) : 'fatal';
  }
  return ortModule;
}

export interface SessionOptions {
  executionProvider?: ExecutionProviderChoice;
  threads?: number;
  log?: (message: string) => void;
}

/** onnxruntime could not load one of the graphs on the CPU (a corrupt or foreign file). */
export class GraphLoadError extends Error {
  constructor(
    readonly graph: 'denoiser' | 'rounding',
    override readonly cause: unknown,
  ) {
    super(`${graph} graph: ${firstLine(cause)}`);
    this.name = 'GraphLoadError';
  }
}

export interface ModelSessions {
  denoiser: InferenceSession;
  rounding: InferenceSession;
  executionProvider: ExecutionProviderName;
  /** Why this provider (for logs and the CLI's --json output). */
  reason: string;
  /** Set when a provider asked for by name could not be used: what every result then warns about. */
  warnings: string[];
}

/** The providers onnxruntime-node was built with, and whether their binaries are present here. */
export function providerAvailability(): Record<string, { listed: boolean; present: boolean }> {
  const out: Record<string, { listed: boolean; present: boolean }> = {};
  let listed: { name: string; bundled: boolean }[];
  try {
    listed = (ort() as unknown as { listSupportedBackends(): { name: string; bundled: boolean }[] }).listSupportedBackends();
  } catch {
    listed = [{ name: 'cpu', bundled: true }];
  }
  for (const b of listed) {
    out[b.name] = { listed: true, present: b.bundled || (b.name === 'cuda' ? cudaBinariesPresent() : false) };
  }
  return out;
}

/** Whether onnxruntime-node's CUDA provider library has been installed next to its binding. */
export function cudaBinariesPresent(): boolean {
  try {
    const pkgDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return fs.existsSync(path.join(dir, lib));
  } catch {
    return false;
  }
}

/** The ordered list of providers to try for a choice, with the reason for the first. */
export function planProviders(
  choice: ExecutionProviderChoice,
  platform: NodeJS.Platform = process.platform,
  avail: Record<string, { listed: boolean; present: boolean }> = providerAvailability(),
): { order: ExecutionProviderName[]; reason: string } {
  if (choice !== 'auto') {
    return { order: choice === 'cpu' ? ['cpu'] : [choice, 'cpu'], reason: `asked for ${choice}` };
  }
  const cuda = avail.cuda?.present === true;
  if ((platform === 'linux' || platform === 'win32') && cuda) {
    const order: ExecutionProviderName[] = platform === 'win32' ? ['cuda', 'dml', 'cpu'] : ['cuda', 'cpu'];
    return { order, reason: 'auto: CUDA provider binaries are installed' };
  }
  if (platform === 'win32') {
    return { order: ['dml', 'cpu'], reason: 'auto: Windows, DirectML is bundled with onnxruntime-node' };
  }
  if (platform === 'darwin') {
    return { order: ['coreml', 'cpu'], reason: 'auto: macOS, CoreML' };
  }
  const why =
    platform === 'linux'
      ? 'auto: no CUDA provider binaries installed (see docs/engine.md to install them)'
      : `auto: no GPU provider for ${platform}`;
  return { order: ['cpu'], reason: why };
}

function sessionOptions(ep: ExecutionProviderName, threads?: number): InferenceSession.SessionOptions {
  const o: InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    // onnxruntime writes provider failures to stderr itself; the engine reports them through `log` instead.
    logSeverityLevel: ep === 'cpu' ? 3 : 4,
  };
  if (threads !== undefined && threads > 0) {
    o.intraOpNumThreads = threads;
    o.interOpNumThreads = 1;
  }
  return o;
}

/** Creates the denoiser and rounding sessions on the first provider of the plan that works. */
export async function createSessions(denoiserPath: string, roundingPath: string, opts: SessionOptions = {}): Promise<ModelSessions> {
  const log = opts.log ?? (() => undefined);
  const choice = opts.executionProvider ?? 'auto';
  const plan = planProviders(choice);
  const failures: string[] = [];
  for (const ep of plan.order) {
    let denoiser: InferenceSession | undefined;
    try {
      denoiser = await ort().InferenceSession.create(denoiserPath, sessionOptions(ep, opts.threads));
      // The rounding graph is tiny; run it on the same provider when possible, else on the CPU.
      let rounding: InferenceSession;
      try {
        rounding = await ort().InferenceSession.create(roundingPath, sessionOptions(ep, opts.threads));
      } catch (e) {
        if (ep === 'cpu') {
          throw new GraphLoadError('rounding', e);
        }
        log(`rounding.onnx could not run on ${ep} (${firstLine(e)}); it runs on the CPU`);
        rounding = await ort()
          .InferenceSession.create(roundingPath, sessionOptions('cpu', opts.threads))
          .catch((err: unknown) => {
            throw new GraphLoadError('rounding', err);
          });
      }
      const reason = failures.length > 0 ? `${plan.reason}; ${failures.join('; ')}` : plan.reason;
      // The failures were logged as they happened; this line does not repeat them.
      log(`execution provider: ${ep} (${plan.reason})`);
      // Asked for by name and not given: the user hears it without --verbose (auto falling back is the plan).
      const warnings = choice !== 'auto' && ep !== choice ? [`asked for ${choice}, running on ${ep}: ${failures.join('; ')}`] : [];
      return { denoiser, rounding, executionProvider: ep, reason, warnings };
    } catch (e) {
      if (denoiser) {
        await denoiser.release().catch(() => undefined);
      }
      if (e instanceof GraphLoadError) {
        throw e;
      }
      if (ep === 'cpu') {
        // The CPU provider always exists: a graph it cannot load is not a model.
        throw new GraphLoadError('denoiser', e);
      }
      const why =
        ep === 'cuda' && !cudaBinariesPresent()
          ? "onnxruntime-node's CUDA provider binaries are not installed; see docs/engine.md"
          : firstLine(e);
      const msg = `${ep} is not available (${why}), falling back`;
      failures.push(msg);
      log(msg);
    }
  }
  // planProviders always ends with 'cpu', which either returns or throws above.
  throw new Error('no execution provider could be used');
}
