/**
 * The rewriting pipeline: text → segments → token ids → N noisy candidates in one batch → DPM-Solver++ (or DDPM)
 * with the ONNX denoiser → rounding → text → MBR choice. See docs/engine.md.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { RewriteInputError, throwIfAborted } from './errors';
import { anchorSources, shiftRows, startState, targetIds, targetWindow, type BatchShape, type TargetAnchor } from './batch';
import { renderCandidate, sourceWords, type SourceWord } from './copyRestore';
import {
  ModelPackageError,
  checkGraphInterfaces,
  graphInfoOf,
  loadModelPackage,
  targetPositionsOf,
  forwardProcessOf,
  type ModelManifest,
  type ModelPackage,
} from './package';
import { Rng } from './rng';
import { ddpmSample } from './sampler/ddpm';
import { dpmSolverPlusPlus } from './sampler/dpmSolver';
import { DiscreteVpSchedule, sqrtAlphasCumprod } from './schedule';
import { joinSegments, splitSegments, type Segment } from './segment';
import { GraphLoadError, createSessions, firstLine, ort, type ModelSessions } from './session';
import { anchorsOf, localMask, mask, onlyProtected, unmask, type SpanKind } from './protect';
import { shortenForMessage, stripControlChars, targetBudget } from './text';
import { Tokenizer, unknownWordsWarning } from './tokenizer';
import type {
  Candidate,
  ConstraintCounts,
  Diversity,
  EngineLoadOptions,
  ExecutionProviderName,
  NoiseInit,
  RewriteOptions,
  RewriteResult,
  SamplerName,
  SolverVariant,
  StageTimings,
  Task,
} from './types';
import { NOISE_INITS, SAMPLERS, SOLVER_VARIANTS, isOneOf } from './types';
import { diversityOf, mbrSelect } from './mbr';
import { constrainedArgmax, halfSquaredNorms, inventedPositions, type ScoreMatrix } from './constrainedRounding';
import { SCORES_GRAPH, scoresGraphBytes } from './scoresGraph';
import { collapseRepeats, hasRepeatedWord, repeatedInInput } from './cleanup';
import { Lexicon, pieceTableOf, wordsOf, type PieceTable, type WordCheck } from './wordList';

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

/** Most rows (candidates × segments) sent to the denoiser in one call by rewriteBatch. */
const MAX_BATCH_ROWS = 64;

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

/** One piece of source text to rewrite: N candidates sampled together. */
interface Job {
  /** The clean text of the segment (what `plan` shows). */
  text: string;
  /** Set when the segment has nothing to rewrite (only protected spans and punctuation): every candidate is this. */
  verbatim?: string;
  /** [TASK] ids [SEP]. */
  source: number[];
  /** The source's words as written, with the spans' placeholders (copyRestore.ts). */
  words: SourceWord[];
  /** The kind of each of the segment's protected spans. */
  kinds: SpanKind[];
  /** Where each span's placeholder is held in the target. */
  anchors: TargetAnchor[];
  budget: number;
  L: number;
  rng: Rng;
  /** The words of the source (wordList.wordsOf, placeholders included): words the output may use beyond the word list. */
  sourceWords: string[];
  /** One text per candidate once its batch has run; null where the candidate lost a protected span. */
  outputs: (string | null)[];
  /** Per candidate: invented words replaced and repeats collapsed, once its batch has run. */
  fixes: { replaced: number; collapsed: number }[];
}

interface Clock {
  network: number;
  solver: number;
  rounding: number;
}

const now = (): number => performance.now();

export class RewriteEngine {
  private disposed = false;
  /** The rounding graph's `embedding` input: the first V rows of embeddings.bin, created once. */
  private readonly roundingEmbedding: Tensor;
  private readonly schedule: DiscreteVpSchedule;
  private readonly dim: number;
  /** Each token id's piece, for assembling words. */
  private readonly pieceTable: PieceTable;
  /** The package's word list; undefined for a package without one (then no word constraint). */
  private readonly lexicon?: Lexicon;
  /** −½‖E_v‖² of the rounding embedding (with a word list only): the constant part of the rounding scores. */
  private readonly scoreBias?: Tensor;
  /** The rounding scores graph (scoresGraph.ts), with a word list only; created on first use. */
  private scoresSession?: Promise<InferenceSession>;

  private constructor(
    private readonly pkg: ModelPackage,
    private readonly tokenizer: Tokenizer,
    private readonly denoiser: InferenceSession,
    private readonly rounding: InferenceSession,
    readonly executionProvider: ExecutionProviderName,
    /** Why this execution provider was used. */
    readonly executionProviderReason: string,
    /** Warnings of the load (a provider asked for by name was not available); every result carries them. */
    readonly loadWarnings: readonly string[],
    /** onnxruntime intra-op threads asked for at load (the scores graph runs with them too). */
    private readonly threads?: number,
  ) {
    const { vocabSize, dim } = pkg.manifest.embedding;
    this.dim = dim;
    this.roundingEmbedding = new (ort().Tensor)('float32', pkg.embeddings.subarray(0, vocabSize * dim), [vocabSize, dim]);
    this.schedule = new DiscreteVpSchedule(sqrtAlphasCumprod(pkg.manifest.diffusion.steps));
    this.pieceTable = pieceTableOf(JSON.parse(fs.readFileSync(pkg.paths.tokenizer, 'utf8')));
    if (pkg.words) {
      this.lexicon = new Lexicon(pkg.words);
      const bias = halfSquaredNorms(this.roundingEmbedding.data as Float32Array, vocabSize, dim).map((h) => -h);
      this.scoreBias = new (ort().Tensor)('float32', bias, [vocabSize]);
    }
  }

  /** Loads and validates the model package in `dir` and creates the onnxruntime sessions. */
  static async load(dir: string, opts: EngineLoadOptions = {}): Promise<RewriteEngine> {
    const t0 = now();
    const pkg = loadModelPackage(dir);
    const tokenizer = await Tokenizer.load(pkg.dir, pkg.manifest.tokens.unk, dir);
    const m = pkg.manifest;
    let s: ModelSessions;
    try {
      s = await createSessions(pkg.paths.denoiser, pkg.paths.rounding, opts);
    } catch (e) {
      if (e instanceof GraphLoadError) {
        throw new ModelPackageError(dir, `${m.files[e.graph]} is not a readable ONNX model (${firstLine(e.cause)})`);
      }
      throw e;
    }
    try {
      checkGraphInterfaces({ dir, manifest: m }, { denoiser: graphInfoOf(s.denoiser), rounding: graphInfoOf(s.rounding) });
    } catch (e) {
      await Promise.all([s.denoiser.release(), s.rounding.release()]).catch(() => undefined);
      throw e;
    }
    opts.log?.(
      `model ${m.name} (${pkg.dir}): vocabulary ${m.embedding.vocabSize}, dim ${m.embedding.dim}, ` +
        `T ${m.diffusion.steps}, tasks ${Object.keys(m.tasks).join('/')}; loaded in ${Math.round(now() - t0)} ms`,
    );
    return new RewriteEngine(pkg, tokenizer, s.denoiser, s.rounding, s.executionProvider, s.reason, s.warnings, opts.threads);
  }

  get manifest(): ModelManifest {
    return this.pkg.manifest;
  }

  /** Absolute path of the loaded package. */
  get modelDir(): string {
    return this.pkg.dir;
  }

  /** The tasks this model knows. */
  get tasks(): string[] {
    return Object.keys(this.pkg.manifest.tasks);
  }

  /** Whether the package has a word list (so that rounding writes only existing words). */
  get hasWordList(): boolean {
    return this.lexicon !== undefined;
  }

  /**
   * The words of `text` that are neither in the word list nor among `source`'s words (words as the tokenizer
   * assembles them, lower case); undefined for a package without a word list.
   */
  inventedWords(text: string, source: string): string[] | undefined {
    const lex = this.lexicon;
    if (!lex) return undefined;
    const own = new Set(wordsOf(this.tokenizer.encodeIds(source), this.pieceTable));
    return wordsOf(this.tokenizer.encodeIds(text), this.pieceTable).filter((w) => !lex.has(w) && !own.has(w));
  }

  /** Whether `text` writes a word twice in a row where `source` does not repeat that word. */
  repeatsWord(text: string, source: string): boolean {
    const allowed = repeatedInInput(wordsOf(this.tokenizer.encodeIds(source), this.pieceTable));
    return hasRepeatedWord(wordsOf(this.tokenizer.encodeIds(text), this.pieceTable), allowed);
  }

  /** Number of word-piece tokens of `text` (without special tokens). */
  countTokens(text: string): number {
    return this.tokenizer.count(text);
  }

  /**
   * How `text` would be processed for `task`: its segments and, for each, the source tokens n (between [TASK] and
   * [SEP]), the target budget and the sequence length L = n + 2 + budget that the denoiser runs on.
   */
  plan(text: string, task: Task): { text: string; sourceTokens: number; budget: number; L: number }[] {
    const o = this.resolveOptions({ task, seed: 0 });
    return this.prepareText(text, o, 0).jobs.map((j) => ({
      text: j.text,
      sourceTokens: Math.max(0, j.source.length - 2),
      budget: j.budget,
      L: j.L,
    }));
  }

  /** Fills in defaults and checks every option; throws RewriteInputError with a clear message. */
  resolveOptions(opts: RewriteOptions): ResolvedOptions {
    const m = this.pkg.manifest;
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

  /** Rewrites `text` (any length: long text is split into sentences) and returns N candidates with the MBR choice. */
  async rewrite(text: string, opts: RewriteOptions): Promise<RewriteResult> {
    this.checkUsable();
    const t0 = now();
    const o = this.resolveOptions(opts);
    throwIfAborted(opts.signal);
    const prep = this.prepareText(text, o, 0);
    const tokenize = now() - t0;
    const clock: Clock = { network: 0, solver: 0, rounding: 0 };
    const segments = prep.jobs.length;
    for (let s = 0; s < segments; s++) {
      throwIfAborted(opts.signal);
      const verbatim = prep.jobs[s].verbatim;
      if (verbatim !== undefined) {
        prep.jobs[s].outputs = new Array<string>(o.candidates).fill(verbatim);
        continue;
      }
      const r = await this.runJobs([prep.jobs[s]], o, opts.signal, (step, steps) =>
        opts.onProgress?.({ segment: s, segments, step, steps }),
      );
      prep.jobs[s].outputs = r.outputs[0];
      prep.jobs[s].fixes = r.fixes[0];
      clock.network += r.clock.network;
      clock.solver += r.clock.solver;
      clock.rounding += r.clock.rounding;
    }
    return this.finish(prep, o, { tokenize, ...clock }, t0);
  }

  /**
   * Rewrites many texts, batching segments of equal length L together (for evaluation throughput). Each result is
   * the same as `rewrite(text, opts)` with the same seed would give. Timings of a shared batch are split between the
   * texts in it by their share of its rows. `onProgress` reports batches as segments.
   */
  async rewriteBatch(texts: readonly string[], opts: RewriteOptions): Promise<RewriteResult[]> {
    this.checkUsable();
    const o = this.resolveOptions(opts);
    const preps: Prepared[] = [];
    const perText: StageTimings[] = [];
    for (let i = 0; i < texts.length; i++) {
      const t0 = now();
      preps.push(this.prepareText(texts[i], o, i));
      perText.push({ tokenize: now() - t0, network: 0, solver: 0, rounding: 0, mbr: 0, total: 0 });
    }
    // Group jobs by L, then cut groups into batches of at most MAX_BATCH_ROWS rows.
    const byL = new Map<number, { job: Job; text: number }[]>();
    preps.forEach((p, i) => {
      for (const job of p.jobs) {
        if (job.verbatim !== undefined) {
          job.outputs = new Array<string>(o.candidates).fill(job.verbatim);
          continue;
        }
        const g = byL.get(job.L) ?? [];
        g.push({ job, text: i });
        byL.set(job.L, g);
      }
    });
    const batches: { job: Job; text: number }[][] = [];
    for (const L of [...byL.keys()].sort((a, b) => a - b)) {
      const g = byL.get(L)!;
      const per = Math.max(1, Math.floor(MAX_BATCH_ROWS / o.candidates));
      for (let i = 0; i < g.length; i += per) {
        batches.push(g.slice(i, i + per));
      }
    }
    for (let b = 0; b < batches.length; b++) {
      throwIfAborted(opts.signal);
      const batch = batches[b];
      const { outputs, fixes, clock } = await this.runJobs(
        batch.map((x) => x.job),
        o,
        opts.signal,
        (step, steps) => opts.onProgress?.({ segment: b, segments: batches.length, step, steps }),
      );
      batch.forEach((x, i) => {
        x.job.outputs = outputs[i];
        x.job.fixes = fixes[i];
      });
      for (const { text } of batch) {
        const share = 1 / batch.length;
        perText[text].network += clock.network * share;
        perText[text].solver += clock.solver * share;
        perText[text].rounding += clock.rounding * share;
      }
    }
    return preps.map((p, i) => {
      const t = perText[i];
      const t0 = now() - (t.tokenize + t.network + t.solver + t.rounding);
      return this.finish(p, o, t, t0);
    });
  }

  /** Releases the onnxruntime sessions. The engine cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    const scores = this.scoresSession?.then((s) => s.release());
    await Promise.allSettled([this.denoiser.release(), this.rounding.release(), scores]);
  }

  // -------------------------------------------------------------------------------------------------------------

  private checkUsable(): void {
    if (this.disposed) {
      throw new Error('this RewriteEngine has been disposed');
    }
  }

  /** Splits, encodes and plans one text. `index` is unused for seeding (results do not depend on batching). */
  private prepareText(text: string, o: ResolvedOptions, _index: number): Prepared {
    if (typeof text !== 'string' || text.trim() === '') {
      throw new RewriteInputError('nothing to rewrite: the text is empty');
    }
    const m = this.pkg.manifest;
    const maxTokens = m.lengths.maxSource - 2;
    // Protected spans become one marker character each before anything else looks at the text (protect.ts).
    const masked = mask(text);
    const markers = (s: string): number => (s.match(/[\uE000-\uF8FF]/gu) ?? []).length;
    const segments = splitSegments(masked.text, maxTokens, (s) => this.tokenizer.count(s) + markers(s));
    const warnings: string[] = [];
    const unknown: string[] = [];
    let truncated = 0;
    const root = new Rng(o.seed);
    let controls = 0;
    const wordIds = new Map<string, number[]>();
    const jobs: Job[] = segments.map((seg, s) => {
      const clean = stripControlChars(seg.text);
      controls += clean.removed;
      const job = {
        source: [],
        words: [],
        kinds: [],
        anchors: [],
        budget: 0,
        L: 0,
        rng: root.child(s),
        outputs: [],
        sourceWords: [],
        fixes: [],
      };
      if (onlyProtected(clean.text)) {
        return { ...job, text: unmask(clean.text, masked.spans), verbatim: unmask(seg.text, masked.spans) };
      }
      const local = localMask(clean.text, masked);
      unknown.push(...this.tokenizer.encode(local.text).unknownWords);
      let words = this.sourceWordsOf(local.text, local.spans, wordIds);
      let ids = words.flatMap((w) => w.ids);
      if (ids.length > maxTokens) {
        truncated++;
        let n = 0;
        words = words.filter((w) => (n += w.ids.length) <= maxTokens);
        ids = ids.slice(0, maxTokens);
      }
      const kinds = local.kinds.slice(0, words.filter((w) => w.span !== undefined).length);
      const budget = targetBudget(ids.length, m.lengths.maxTarget, m.lengths.targetBudget);
      const source = [o.taskId, ...ids, m.tokens.sep];
      const anchors = anchorsOf(words, budget);
      // The allowed words come from the ids, placeholders included, so the word constraint keeps the spans' tokens.
      const sourceWords = wordsOf(ids, this.pieceTable);
      return {
        ...job,
        text: unmask(clean.text, masked.spans),
        source,
        words,
        kinds,
        anchors,
        budget,
        L: source.length + budget,
        sourceWords,
      };
    });
    // Nothing the model knows (all CJK, one 1 MB "word"): it would invent text from [UNK] alone. Refused.
    // (Segments of protected spans only are passed through, not read: they do not count.)
    const read = jobs.filter((j) => j.verbatim === undefined);
    if (unknown.length > 0 && read.length > 0 && read.every((j) => j.source.slice(1, -1).every((id) => id === this.tokenizer.unkId))) {
      const shown = [...new Set(unknown)].slice(0, 3).map((w) => JSON.stringify(shortenForMessage(w)));
      throw new RewriteInputError(
        `the model cannot read this text: none of its words is in the model's vocabulary (${shown.join(', ')}), so nothing was rewritten`,
      );
    }
    if (controls > 0) {
      warnings.push(
        `${controls} control character${controls === 1 ? ' was' : 's were'} removed from the input (NUL, escape codes and the like)`,
      );
    }
    const w = unknownWordsWarning(unknown);
    if (w) {
      warnings.push(w);
    }
    if (truncated > 0) {
      warnings.push(
        `${truncated} piece${truncated === 1 ? '' : 's'} of text had no break within the model's ${maxTokens}-token ` +
          'limit and were cut at that limit',
      );
    }
    return { original: text, segments, jobs, warnings };
  }

  /** Samples every candidate of `jobs` (all of the same L) in one batch: each job's N texts, and the time spent. */
  private async runJobs(
    jobs: Job[],
    o: ResolvedOptions,
    signal: AbortSignal | undefined,
    onStep: (step: number, steps: number) => void,
  ): Promise<{ outputs: (string | null)[][]; fixes: Job['fixes'][]; clock: Clock }> {
    const m = this.pkg.manifest;
    const shape = { N: o.candidates, L: jobs[0].L, d: this.dim };
    const { N, L, d } = shape;
    const B = jobs.length * N;
    const rowLen = L * d;
    const clock: Clock = { network: 0, solver: 0, rounding: 0 };

    // A model trained with the official forward process is sampled centred on its absorbing vector m: the solver
    // runs on y = x − m (batch.ts startState), the network sees y + m and its x0 comes back as x0 − m.
    const centre =
      forwardProcessOf(m) === 'official'
        ? this.pkg.embeddings.subarray(m.embedding.absorbingRow * d, (m.embedding.absorbingRow + 1) * d)
        : undefined;
    const start = startState(jobs, shape, this.pkg.embeddings, {
      init: o.noiseInit,
      vocabSize: m.embedding.vocabSize,
      alphaBarT: this.schedule.alphasCumprod[this.schedule.T - 1],
      absorbingRate: m.diffusion.absorbingRate,
      centred: centre !== undefined,
    });
    const anchor = (x: Float32Array): void => anchorSources(x, start, rowLen, d);
    const network = this.denoiserCall(start.srcLen, shape, clock);
    const denoise = centre
      ? async (y: Float32Array, tIndex: number): Promise<Float32Array> =>
          shiftRows(Float32Array.from(await network(shiftRows(Float32Array.from(y), centre, 1), tIndex)), centre, -1)
      : network;

    const tSample = now();
    let x: Float32Array;
    if (o.sampler === 'dpm') {
      x = await dpmSolverPlusPlus(this.schedule, start.xT, denoise, {
        steps: o.steps,
        order: o.order,
        skipType: 'time_uniform',
        variant: o.solverVariant,
        anchor,
        signal,
        onStep: (s) => onStep(s.step, s.steps),
      });
    } else {
      x = await ddpmSample(this.schedule, start.xT, denoise, {
        steps: o.steps === this.schedule.T ? undefined : o.steps,
        rng: rowwiseRng(
          jobs.map((j) => j.rng.child(0x64647031 /* 'ddp1' */)),
          N,
          rowLen,
        ),
        anchor,
        signal,
        onStep: (s) => onStep(s.step, s.steps),
      });
    }
    clock.solver += now() - tSample - clock.network;
    if (centre) shiftRows(x, centre, 1);

    // Rounding once, on the target window shared by all rows.
    const tRound = now();
    const window = targetWindow(x, start.srcLen, shape);
    const rOut = await this.rounding.run({
      x: new (ort().Tensor)('float32', window.win, [B, window.W, d]),
      embedding: this.roundingEmbedding,
    });
    const ids = targetIds(
      rOut.tokens.data as BigInt64Array | Int32Array,
      start.srcLen,
      window,
      m.tokens,
      (r) => jobs[Math.floor(r / N)].anchors,
    );
    const fixes: Job['fixes'][] = jobs.map(() => []);
    const words = o.constrain && this.lexicon ? jobs.map((job) => this.lexicon!.with(job.sourceWords)) : undefined;
    const scores = words
      ? await this.scoreInventedPositions(
          ids,
          (r) => words[Math.floor(r / N)],
          (r) => (r * window.W + start.srcLen[r] - window.minS) * d,
          window.win,
        )
      : undefined;
    // Rounded ids → real words and no stutter (constrainRow) → the text, spans restored and copied words as written.
    const outputs = jobs.map((job, j) =>
      ids.slice(j * N, (j + 1) * N).map((row, k) => {
        const fixed = o.constrain ? this.constrainRow(row, job, words?.[j], scores?.[j * N + k]) : undefined;
        fixes[j].push({ replaced: fixed?.replaced ?? 0, collapsed: fixed?.collapsed ?? 0 });
        return this.render(fixed?.ids ?? row, job);
      }),
    );
    clock.rounding += now() - tRound;
    return { outputs, fixes, clock };
  }

  /**
   * The rounding scores of every position inside an invented word, for all rows in one call of the scores graph:
   * per row, a ScoreMatrix whose rows at those positions are filled (undefined for a row without an invented word).
   * `xOffset(r)` is where row r's first target position starts in `win` (its vectors follow, d values each).
   */
  private async scoreInventedPositions(
    rows: number[][],
    wordsOfRow: (r: number) => WordCheck,
    xOffset: (r: number) => number,
    win: Float32Array,
  ): Promise<(ScoreMatrix | undefined)[]> {
    const d = this.dim;
    const V = this.pkg.manifest.embedding.vocabSize;
    const where = rows.map((row, r) => inventedPositions(row, this.pieceTable, wordsOfRow(r)));
    const total = where.reduce((s, w) => s + w.length, 0);
    if (total === 0) return rows.map(() => undefined);
    const x = new Float32Array(total * d);
    let k = 0;
    where.forEach((ps, r) => {
      for (const p of ps) x.set(win.subarray(xOffset(r) + p * d, xOffset(r) + (p + 1) * d), d * k++);
    });
    const Tensor = ort().Tensor;
    const threads = this.threads !== undefined && this.threads > 0 ? { intraOpNumThreads: this.threads, interOpNumThreads: 1 } : {};
    this.scoresSession ??= ort().InferenceSession.create(scoresGraphBytes(), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...threads,
    });
    const g = SCORES_GRAPH;
    const out = await (
      await this.scoresSession
    ).run({ [g.x]: new Tensor('float32', x, [total, d]), [g.embedding]: this.roundingEmbedding, [g.bias]: this.scoreBias! });
    const data = out[g.scores].data as Float32Array;
    let next = 0;
    return where.map((ps, r) => {
      if (ps.length === 0) return undefined;
      const at = new Map(ps.map((p) => [p, next++]));
      return {
        positions: rows[r].length,
        vocab: V,
        row: (p: number) => {
          const i = at.get(p);
          if (i === undefined) throw new RangeError(`no rounding scores for position ${p}`);
          return data.subarray(i * V, (i + 1) * V);
        },
      };
    });
  }

  /**
   * One rounded row made presentable: invented words replaced by the best-scoring real ones (with a word list:
   * `words` and the row's `scores`) and repeated words collapsed.
   */
  private constrainRow(
    ids: number[],
    job: Job,
    words: WordCheck | undefined,
    scores: ScoreMatrix | undefined,
  ): { ids: number[]; replaced: number; collapsed: number } {
    let out = ids;
    let replaced = 0;
    if (words && scores) {
      const c = constrainedArgmax(ids, scores, this.pieceTable, words);
      out = c.ids;
      replaced = c.replaced;
    }
    const r = collapseRepeats(out, this.pieceTable, repeatedInInput(job.sourceWords));
    return { ids: r.ids, replaced, collapsed: r.collapsed };
  }

  /**
   * The denoiser as the samplers call it: x_t [B,L,d] and t [B], plus x_self_cond (zeros first, then the previous
   * x0) for self-conditioned models and target_start for the restart layout. Network time goes to `clock`.
   */
  private denoiserCall(srcLen: Int32Array, shape: BatchShape, clock: Clock): (x: Float32Array, tIndex: number) => Promise<Float32Array> {
    const m = this.pkg.manifest;
    const { L, d } = shape;
    const B = srcLen.length;
    const Tensor = ort().Tensor;
    const tData = new Float32Array(B);
    const tTensor = new Tensor('float32', tData, [B]);
    const selfCond = m.diffusion.selfConditioning;
    // The restart layout numbers target positions from each row's first target slot (= its source length).
    const startTensor =
      targetPositionsOf(m) === 'restart'
        ? new Tensor(
            'int64',
            BigInt64Array.from(srcLen, (n) => BigInt(n)),
            [B],
          )
        : undefined;
    let prevX0: Float32Array | undefined = selfCond ? new Float32Array(B * L * d) : undefined;
    return async (x, tIndex) => {
      tData.fill(tIndex);
      const feeds: Record<string, Tensor> = { x_t: new Tensor('float32', x, [B, L, d]), t: tTensor };
      if (prevX0) {
        feeds.x_self_cond = new Tensor('float32', prevX0, [B, L, d]);
      }
      if (startTensor) {
        feeds.target_start = startTensor;
      }
      const t = now();
      const out = await this.denoiser.run(feeds);
      clock.network += now() - t;
      const x0 = out.x0.data as Float32Array;
      if (x0.length !== x.length) {
        throw new Error(`denoiser.onnx returned ${x0.length} values for a [${B}, ${L}, ${d}] input`);
      }
      if (selfCond) {
        prevX0 = x0;
      }
      return x0;
    };
  }

  /**
   * The source words of a segment (masked: marker k is span k) with a placeholder token for each span: distinct
   * tokens of the tokenizer's placeholder pool that the segment's own words do not use.
   */
  private sourceWordsOf(text: string, spans: readonly string[], cache: Map<string, number[]>): SourceWord[] {
    // Words repeat (the, a, punctuation): one tokenizer call per distinct word of the text.
    const encode = (w: string): number[] => {
      let ids = cache.get(w);
      if (!ids) {
        ids = this.tokenizer.encodeIds(w);
        cache.set(w, ids);
      }
      return ids;
    };
    const words = sourceWords(text, encode, spans, new Array<number>(spans.length).fill(-1));
    const used = new Set(words.flatMap((w) => (w.span === undefined ? w.ids : [])));
    const pool = this.tokenizer.placeholderPool.filter((id) => !used.has(id));
    for (const w of words) {
      if (w.span !== undefined) {
        // More spans than placeholders cannot happen below 128 spans per segment (a segment has at most 62 tokens).
        w.ids = [pool[w.span % pool.length]];
      }
    }
    return words;
  }

  /** One candidate's text from its target ids, or null when it lost a protected span beyond repair. */
  private render(ids: readonly number[], job: Job): string | null {
    const spanIds = new Map(job.words.filter((w) => w.span !== undefined).map((w) => [w.ids[0], w.span!]));
    const r = renderCandidate(ids, job.words, {
      decode: (x) => this.tokenizer.decode(x),
      isContinuation: (id) => this.tokenizer.isContinuation(id),
      spanOf: (id) => spanIds.get(id) ?? -1,
      kinds: job.kinds,
      unkId: this.tokenizer.unkId,
    });
    return 'text' in r ? r.text : null;
  }

  /** Joins segment candidates, runs MBR and builds the result. */
  private finish(
    prep: Prepared,
    o: ResolvedOptions,
    t: Omit<StageTimings, 'mbr' | 'total'> & Partial<StageTimings>,
    t0: number,
  ): RewriteResult {
    const tM = now();
    const texts: string[] = [];
    const warnings = [...this.loadWarnings, ...prep.warnings];
    for (let k = 0; k < o.candidates; k++) {
      const parts = prep.jobs.map((j) => j.outputs[k]);
      // A candidate that lost a protected span in any segment is not shown (copyRestore.ts renderCandidate).
      if (parts.every((p): p is string => p !== null)) {
        texts.push(joinSegments(prep.segments, parts));
      }
    }
    const dropped = o.candidates - texts.length;
    if (texts.length === 0) {
      // Never offer a text that lost what had to stay: the input itself is the one candidate left.
      texts.push(prep.original);
      warnings.push(`all ${dropped} candidates lost a protected span (a link, code, a number…); the text is shown unchanged`);
    }
    const sel = mbrSelect(texts);
    const diversity: Diversity = diversityOf(texts);
    const candidates: Candidate[] = texts.map((text, i) => ({ text, mbrScore: sel.scores[i] }));
    const constraints: ConstraintCounts = { inventedWordsReplaced: 0, repeatsCollapsed: 0, candidatesChanged: 0 };
    for (let k = 0; k < o.candidates; k++) {
      let changed = false;
      for (const j of prep.jobs) {
        const f = j.fixes[k];
        constraints.inventedWordsReplaced += f?.replaced ?? 0;
        constraints.repeatsCollapsed += f?.collapsed ?? 0;
        changed ||= (f?.replaced ?? 0) + (f?.collapsed ?? 0) > 0;
      }
      if (changed) constraints.candidatesChanged++;
    }
    const mbr = now() - tM;
    return {
      candidates,
      mbrIndex: sel.index,
      diversity,
      constraints,
      timings: {
        tokenize: t.tokenize,
        network: t.network,
        solver: t.solver,
        rounding: t.rounding,
        mbr,
        total: now() - t0,
      },
      executionProvider: this.executionProvider,
      segments: prep.segments.length,
      droppedCandidates: dropped,
      warnings,
    };
  }
}

interface Prepared {
  /** The text as given. */
  original: string;
  segments: Segment[];
  jobs: Job[];
  warnings: string[];
}

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RewriteInputError(`${name} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
}

/**
 * An Rng whose fillGaussian fills each candidate row from that row's own stream, so DDPM's ancestral noise of a
 * candidate does not depend on which other sources share its batch.
 */
function rowwiseRng(jobStreams: Rng[], candidates: number, rowLen: number): Rng {
  const rows: Rng[] = [];
  for (const s of jobStreams) {
    for (let k = 0; k < candidates; k++) {
      rows.push(s.child(k));
    }
  }
  class Rowwise extends Rng {
    override fillGaussian<A extends Float32Array | Float64Array>(out: A, mean = 0, std = 1): A {
      for (let r = 0; r < rows.length; r++) {
        const seg = out.subarray(r * rowLen, (r + 1) * rowLen) as A;
        rows[r].fillGaussian(seg, mean, std);
      }
      return out;
    }
  }
  return new Rowwise(0);
}
