/**
 * Rounding: from the sampler's final vectors to token ids. The `Rounding` part (the package's rounding.onnx and the
 * in-memory scores graph on onnxruntime, or a test's fake) does the arithmetic; here too the engine's use of it for
 * the word constraint: the scores of the positions inside invented words, and a rounded row made presentable.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { collapseRepeats, repeatedInInput } from './cleanup';
import { constrainedArgmax, halfSquaredNorms, inventedPositions, type ScoreMatrix } from './constrainedRounding';
import { SCORES_GRAPH, scoresGraphBytes } from './scoresGraph';
import { ort } from './session';
import type { PieceTable, WordCheck } from './wordList';

export interface Rounding {
  /** Token ids [B, W] of the window x [B, W, d]: each vector's nearest row of the embedding (rounding.onnx). */
  tokens(x: Float32Array, B: number, W: number): Promise<ArrayLike<number | bigint>>;
  /** The rounding scores x·Eᵀ − ½‖E‖² [n, V] of n vectors x [n, d] (scoresGraph.ts); needs a word list. */
  scores(x: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** rounding.onnx, and the scores graph (created on first use), on onnxruntime. */
export class OnnxRounding implements Rounding {
  /** The rounding graph's `embedding` input: the first V rows of embeddings.bin, created once. */
  private readonly embedding: Tensor;
  /** −½‖E_v‖² of the rounding embedding (with a word list only): the constant part of the rounding scores. */
  private readonly scoreBias?: Tensor;
  private scoresSession?: Promise<InferenceSession>;

  constructor(
    private readonly session: InferenceSession,
    embeddings: Float32Array,
    private readonly shape: { vocabSize: number; dim: number },
    /** Whether the package has a word list (only then are scores asked for). */
    withScores: boolean,
    /** onnxruntime intra-op threads asked for at load (the scores graph runs with them too). */
    private readonly threads?: number,
  ) {
    const { vocabSize, dim } = shape;
    this.embedding = new (ort().Tensor)('float32', embeddings.subarray(0, vocabSize * dim), [vocabSize, dim]);
    if (withScores) {
      const bias = halfSquaredNorms(this.embedding.data as Float32Array, vocabSize, dim).map((h) => -h);
      this.scoreBias = new (ort().Tensor)('float32', bias, [vocabSize]);
    }
  }

  async tokens(x: Float32Array, B: number, W: number): Promise<ArrayLike<number | bigint>> {
    const out = await this.session.run({ x: new (ort().Tensor)('float32', x, [B, W, this.shape.dim]), embedding: this.embedding });
    return out.tokens.data as BigInt64Array | Int32Array;
  }

  async scores(x: Float32Array, n: number): Promise<Float32Array> {
    const threads = this.threads !== undefined && this.threads > 0 ? { intraOpNumThreads: this.threads, interOpNumThreads: 1 } : {};
    this.scoresSession ??= ort().InferenceSession.create(scoresGraphBytes(), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...threads,
    });
    const g = SCORES_GRAPH;
    const out = await (
      await this.scoresSession
    ).run({ [g.x]: new (ort().Tensor)('float32', x, [n, this.shape.dim]), [g.embedding]: this.embedding, [g.bias]: this.scoreBias! });
    return out[g.scores].data as Float32Array;
  }

  async release(): Promise<void> {
    const scores = this.scoresSession?.then((s) => s.release());
    await Promise.allSettled([this.session.release(), scores]);
  }
}

/**
 * The rounding scores of every position inside an invented word, for all rows in one call of `rounding.scores`:
 * per row, a ScoreMatrix whose rows at those positions are filled (undefined for a row without an invented word).
 * `xOffset(r)` is where row r's first target position starts in `win` (its vectors follow, d values each).
 */
export async function scoreInventedPositions(
  rounding: Rounding,
  rows: number[][],
  wordsOfRow: (r: number) => WordCheck,
  xOffset: (r: number) => number,
  win: Float32Array,
  model: { pieceTable: PieceTable; vocabSize: number; dim: number },
): Promise<(ScoreMatrix | undefined)[]> {
  const d = model.dim;
  const V = model.vocabSize;
  const where = rows.map((row, r) => inventedPositions(row, model.pieceTable, wordsOfRow(r)));
  const total = where.reduce((s, w) => s + w.length, 0);
  if (total === 0) return rows.map(() => undefined);
  const x = new Float32Array(total * d);
  let k = 0;
  where.forEach((ps, r) => {
    for (const p of ps) x.set(win.subarray(xOffset(r) + p * d, xOffset(r) + (p + 1) * d), d * k++);
  });
  const data = await rounding.scores(x, total);
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
 * `words` and the row's `scores`) and repeated words collapsed unless `sourceWords` repeat them.
 */
export function constrainRow(
  ids: number[],
  sourceWords: readonly string[],
  words: WordCheck | undefined,
  scores: ScoreMatrix | undefined,
  pieceTable: PieceTable,
): { ids: number[]; replaced: number; collapsed: number } {
  let out = ids;
  let replaced = 0;
  if (words && scores) {
    const c = constrainedArgmax(ids, scores, pieceTable, words);
    out = c.ids;
    replaced = c.replaced;
  }
  const r = collapseRepeats(out, pieceTable, repeatedInInput(sourceWords));
  return { ids: r.ids, replaced, collapsed: r.collapsed };
}
