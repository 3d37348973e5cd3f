/**
 * The rewriting engine: text → segments → token ids → N noisy candidates in one batch → DPM-Solver++ (or DDPM)
 * with the denoiser → rounding → text → MBR choice. See docs/engine.md. `RewriteEngine` is built from its parts
 * (the package's manifest and embeddings, the tokenizer, the denoiser and the rounding), as `load` does from a
 * package folder and a test does with a fake denoiser; the work is in the rooms it calls: options.ts (defaults
 * and limits), jobs.ts (a text as jobs), chunking.ts (rewriteBatch's batches), sampling.ts (one batch through the
 * sampler and rounding), result.ts (MBR and the result).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ModelPackageError, throwIfAborted, firstLine } from './errors';
import { chunkByLength } from './chunking';
import { onnxDenoiser, type Denoiser } from './denoiser';
import { checkGraphInterfaces, graphInfoOf } from './graphInterface';
import { prepareText, type Job, type Prepared } from './jobs';
import type { ModelManifest } from './manifest';
import { resolveOptions, type ResolvedOptions } from './options';
import { loadModelPackage, type ModelPackage } from './package';
import { finishResult } from './result';
import { OnnxRounding, type Rounding } from './rounding';
import { sampleJobs, type Clock, type SamplingModel } from './sampling';
import { DiscreteVpSchedule, sqrtAlphasCumprod } from './schedule';
import { GraphLoadError, createSessions, type ModelSessions } from './session';
import { Tokenizer, type EngineTokenizer } from './tokenizer';
import type { EngineLoadOptions, ExecutionProviderName, RewriteOptions, RewriteResult, StageTimings, Task } from './types';
import { hasRepeatedWord, repeatedInInput } from './cleanup';
import { Lexicon, pieceTableOf, wordsOf, type PieceTable } from './wordList';

/** What a RewriteEngine is made of: what `RewriteEngine.load` reads from a package, or what a test hands it. */
export interface EngineParts {
  /** The model package (package.ts): its folder, manifest, embedding matrix and word list. */
  pkg: Pick<ModelPackage, 'dir' | 'manifest' | 'embeddings' | 'words'>;
  tokenizer: EngineTokenizer;
  /** Each token id's piece (the package's tokenizer.json), for assembling words. */
  pieceTable: PieceTable;
  denoiser: Denoiser;
  rounding: Rounding;
  /** The execution provider that runs the network, and why (session.ts). */
  executionProvider: ExecutionProviderName;
  executionProviderReason: string;
  /** Warnings of the load (a provider asked for by name was not available); every result carries them. */
  loadWarnings?: readonly string[];
}

const now = (): number => performance.now();

export class RewriteEngine {
  private disposed = false;
  private readonly pkg: EngineParts['pkg'];
  private readonly tokenizer: EngineTokenizer;
  /** Everything a sampling batch runs with. */
  private readonly model: SamplingModel;
  readonly executionProvider: ExecutionProviderName;
  /** Why this execution provider was used. */
  readonly executionProviderReason: string;
  /** Warnings of the load (a provider asked for by name was not available); every result carries them. */
  readonly loadWarnings: readonly string[];

  constructor(parts: EngineParts) {
    const { pkg, tokenizer, pieceTable } = parts;
    this.pkg = pkg;
    this.tokenizer = tokenizer;
    this.executionProvider = parts.executionProvider;
    this.executionProviderReason = parts.executionProviderReason;
    this.loadWarnings = parts.loadWarnings ?? [];
    this.model = {
      manifest: pkg.manifest,
      embeddings: pkg.embeddings,
      schedule: new DiscreteVpSchedule(sqrtAlphasCumprod(pkg.manifest.diffusion.steps)),
      denoiser: parts.denoiser,
      rounding: parts.rounding,
      tokenizer,
      pieceTable,
      lexicon: pkg.words ? new Lexicon(pkg.words) : undefined,
    };
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
    return new RewriteEngine({
      pkg,
      tokenizer,
      pieceTable: pieceTableOf(JSON.parse(fs.readFileSync(pkg.paths.tokenizer, 'utf8'))),
      denoiser: onnxDenoiser(s.denoiser),
      rounding: new OnnxRounding(s.rounding, pkg.embeddings, m.embedding, pkg.words !== undefined, opts.threads),
      executionProvider: s.executionProvider,
      executionProviderReason: s.reason,
      loadWarnings: s.warnings,
    });
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
    return this.model.lexicon !== undefined;
  }

  /**
   * The words of `text` that are neither in the word list nor among `source`'s words (words as the tokenizer
   * assembles them, lower case); undefined for a package without a word list.
   */
  inventedWords(text: string, source: string): string[] | undefined {
    const lex = this.model.lexicon;
    if (!lex) return undefined;
    const own = new Set(wordsOf(this.tokenizer.encodeIds(source), this.model.pieceTable));
    return wordsOf(this.tokenizer.encodeIds(text), this.model.pieceTable).filter((w) => !lex.has(w) && !own.has(w));
  }

  /** Whether `text` writes a word twice in a row where `source` does not repeat that word. */
  repeatsWord(text: string, source: string): boolean {
    const allowed = repeatedInInput(wordsOf(this.tokenizer.encodeIds(source), this.model.pieceTable));
    return hasRepeatedWord(wordsOf(this.tokenizer.encodeIds(text), this.model.pieceTable), allowed);
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
    return this.prepare(text, o).jobs.map((j) => ({
      text: j.text,
      sourceTokens: Math.max(0, j.source.length - 2),
      budget: j.budget,
      L: j.L,
    }));
  }

  /** Fills in defaults and checks every option; throws RewriteInputError with a clear message. */
  resolveOptions(opts: RewriteOptions): ResolvedOptions {
    return resolveOptions(this.pkg.manifest, opts);
  }

  /** Rewrites `text` (any length: long text is split into sentences) and returns N candidates with the MBR choice. */
  async rewrite(text: string, opts: RewriteOptions): Promise<RewriteResult> {
    this.checkUsable();
    const t0 = now();
    const o = this.resolveOptions(opts);
    throwIfAborted(opts.signal);
    const prep = this.prepare(text, o);
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
      const r = await sampleJobs(this.model, [prep.jobs[s]], o, opts.signal, (step, steps) =>
        opts.onProgress?.({ segment: s, segments, step, steps }),
      );
      prep.jobs[s].outputs = r.outputs[0];
      prep.jobs[s].fixes = r.fixes[0];
      clock.network += r.clock.network;
      clock.solver += r.clock.solver;
      clock.rounding += r.clock.rounding;
    }
    return finishResult(prep, o.candidates, { tokenize, ...clock }, t0, this);
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
      preps.push(this.prepare(texts[i], o));
      perText.push({ tokenize: now() - t0, network: 0, solver: 0, rounding: 0, mbr: 0, total: 0 });
    }
    const pending: { job: Job; text: number }[] = [];
    preps.forEach((p, i) => {
      for (const job of p.jobs) {
        if (job.verbatim !== undefined) {
          job.outputs = new Array<string>(o.candidates).fill(job.verbatim);
        } else {
          pending.push({ job, text: i });
        }
      }
    });
    const batches = chunkByLength(pending, (x) => x.job.L, o.candidates);
    for (let b = 0; b < batches.length; b++) {
      throwIfAborted(opts.signal);
      const batch = batches[b];
      const { outputs, fixes, clock } = await sampleJobs(
        this.model,
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
      return finishResult(p, o.candidates, t, t0, this);
    });
  }

  /** Releases the onnxruntime sessions. The engine cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    await Promise.allSettled([this.model.denoiser.release(), this.model.rounding.release()]);
  }

  // -------------------------------------------------------------------------------------------------------------

  private checkUsable(): void {
    if (this.disposed) {
      throw new Error('this RewriteEngine has been disposed');
    }
  }

  private prepare(text: string, o: ResolvedOptions): Prepared {
    return prepareText(text, o, { manifest: this.pkg.manifest, tokenizer: this.tokenizer, pieceTable: this.model.pieceTable });
  }
}
