/**
 * Public types of the rewriting engine. The engine has no VS Code dependency: the extension, the CLI,
 * the benchmarks and the tests all use it through these types.
 */

// Every option list lives here, once; the types, the CLI's flag checks, the extension's settings and the engine's
// validation derive from these arrays.
export const TASKS = ['paraphrase', 'simplify'] as const;
export type Task = (typeof TASKS)[number];

export const EXECUTION_PROVIDER_NAMES = ['cpu', 'cuda', 'dml', 'webgpu', 'coreml'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDER_NAMES)[number];
export const EXECUTION_PROVIDER_CHOICES = ['auto', ...EXECUTION_PROVIDER_NAMES] as const;
export type ExecutionProviderChoice = (typeof EXECUTION_PROVIDER_CHOICES)[number];

export const SAMPLERS = ['dpm', 'ddpm'] as const;
export type SamplerName = (typeof SAMPLERS)[number];
/** Where the target part of the starting noise comes from (see docs/engine.md). */
export const NOISE_INITS = ['gaussian', 'absorbing'] as const;
export type NoiseInit = (typeof NOISE_INITS)[number];
/** 'textbook' DPM-Solver++, or the official DiffuSeq-v2 script's variant that re-seeds its state from the x0 prediction. */
export const SOLVER_VARIANTS = ['textbook', 'x0-reset'] as const;
export type SolverVariant = (typeof SOLVER_VARIANTS)[number];

/** `value` is one of `list` (narrows its type). */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** What a rewrite samples with: the choices shared by `rewrite`, `rewriteBatch`, `evaluate` and the CLI. */
export interface SamplingChoices {
  task: Task;
  /** Number of candidates sampled from different noise (default 8). */
  candidates?: number;
  /** Solver steps (1–50 for dpm; ddpm always runs the model's T steps unless given). */
  steps?: number;
  /** DPM-Solver++ order, 1–3 (default 2). */
  order?: 1 | 2 | 3;
  sampler?: SamplerName;
  noiseInit?: NoiseInit;
  solverVariant?: SolverVariant;
  /** Seed for reproducible candidates; random when omitted. */
  seed?: number;
  /**
   * Default true: rounding writes only words of the package's word list or of the input (when the package has a
   * word list), and a word repeated right after itself is collapsed unless the input repeats it. False: the
   * rounding graph's argmax as it is.
   */
  constrain?: boolean;
}

export interface RewriteOptions extends SamplingChoices {
  signal?: AbortSignal;
  /** Called after each solver step of each segment. */
  onProgress?: (p: { segment: number; segments: number; step: number; steps: number }) => void;
}

export interface Candidate {
  text: string;
  /** Mean sentence-BLEU of this candidate against the other candidates (the MBR criterion). */
  mbrScore: number;
}

export interface Diversity {
  /** Mean BLEU of each candidate against the others (lower = more diverse). */
  selfBleu: number;
  /** Distinct 4-grams / all 4-grams over the candidate set (higher = more diverse). */
  div4: number;
  /** Mean per-candidate distinct-unigram ratio. */
  dist1: number;
}

export interface StageTimings {
  /** Milliseconds. */
  tokenize: number;
  network: number;
  solver: number;
  rounding: number;
  mbr: number;
  total: number;
}

/** What the output constraints changed in one rewrite (docs/engine.md). */
export interface ConstraintCounts {
  /** Invented words that constrained rounding replaced by real ones. */
  inventedWordsReplaced: number;
  /** Repeated words collapsed. */
  repeatsCollapsed: number;
  /** Candidates with at least one of the two. */
  candidatesChanged: number;
}

export interface RewriteResult {
  candidates: Candidate[];
  mbrIndex: number;
  diversity: Diversity;
  /** What the output constraints changed (the engine always sets it; absent from results made elsewhere). */
  constraints?: ConstraintCounts;
  timings: StageTimings;
  /** The execution provider that actually ran the network. */
  executionProvider: ExecutionProviderName;
  /** How many sentence segments the input was split into (1 when it fit the model). */
  segments: number;
  /**
   * Candidates sampled but not shown because they lost, repeated beyond repair or reordered a protected span (a
   * URL, code, a number…; docs/engine.md "Protected spans"): `candidates.length` is the number asked for minus these
   * (or 1, the input unchanged, when every candidate was dropped).
   */
  droppedCandidates: number;
  warnings: string[];
}

export interface EngineLoadOptions {
  executionProvider?: ExecutionProviderChoice;
  /** Threads for onnxruntime's intra-op pool (default: onnxruntime's choice). */
  threads?: number;
  log?: (message: string) => void;
}
