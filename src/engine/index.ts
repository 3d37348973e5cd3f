/**
 * Public entry of the rewriting engine (no VS Code dependency): every name the other rooms (extension, CLI,
 * trainer, bench) may import. See docs/engine.md.
 *
 *   const engine = await RewriteEngine.load('models/default', { executionProvider: 'auto' });
 *   const r = await engine.rewrite(text, { task: 'paraphrase' });
 *   r.candidates[r.mbrIndex].text;
 *   await engine.dispose();
 */
export * from './types';
export { RewriteEngine, type EngineParts } from './pipeline';
export { DEFAULTS, LIMITS, type ResolvedOptions } from './options';
export type { Denoiser, DenoiserFeeds } from './denoiser';
export type { Rounding } from './rounding';
export { loadModelPackage, decodeMatrix, type ModelPackage } from './package';
export { FORMAT, FORMAT_VERSION, MANIFEST_FILE, readManifestJson, type ModelManifest, type TaskSpec } from './manifest';
export { AbortError, EvalDataError, ModelPackageError, RewriteInputError, isAbortError } from './errors';
export { createSessions, ort, planProviders, providerAvailability, cudaBinariesPresent, type ModelSessions } from './session';
export { splitSegments, joinSegments, type Segment } from './segment';
export { DEFAULT_TARGET_BUDGET, cleanDecoded, restoreCase, targetBudget, type TargetBudgetSpec } from './text';
export { WORD_LIST_FILE, encodeWordList, pieceTableOf, wordsOf } from './wordList';
export { commentProse, parseCommentBlock, restoreCommentProse, type CommentBlock } from './commentBlock';
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
