/**
 * Public entry of the rewriting engine (no VS Code dependency). See docs/engine.md.
 *
 *   const engine = await RewriteEngine.load('models/default', { executionProvider: 'auto' });
 *   const r = await engine.rewrite(text, { task: 'paraphrase' });
 *   r.candidates[r.mbrIndex].text;
 *   await engine.dispose();
 */
export * from './types';
export { RewriteEngine, DEFAULTS, LIMITS, type ResolvedOptions } from './pipeline';
export {
  ModelPackageError,
  loadModelPackage,
  FORMAT,
  FORMAT_VERSION,
  type ModelManifest,
  type ModelPackage,
  type TaskSpec,
} from './package';
export { AbortError, EvalDataError, RewriteInputError, isAbortError } from './errors';
export { planProviders, providerAvailability, cudaBinariesPresent } from './session';
export { splitSegments, joinSegments, type Segment } from './segment';
export { cleanDecoded, restoreCase, targetBudget } from './text';
export {
  evaluate,
  readEvalData,
  quality,
  type EvalExample,
  type EvalExampleResult,
  type EvalOptions,
  type EvalReport,
  type QualityScores,
} from './eval';
