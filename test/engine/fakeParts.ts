/**
 * EngineParts without a trained model, for the tests of what the engine does around the network (batching,
 * chunking, cancellation, the denoiser's feeds): a whitespace tokenizer over a ten-word vocabulary, one-hot
 * embeddings, nearest-row rounding, and an "echo" denoiser whose x0 copies each row's source words into its target
 * and ends it with [SEP]. Every candidate of an input is then that input, so a result can be traced to its input.
 */
import type { DenoiserFeeds, EngineParts } from '../../src/engine';
import type { ModelManifest } from '../../src/engine/manifest';

export const VOCAB = ['[PAD]', '[UNK]', '[SEP]', '[PARA]', 'alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta', 'iota'];
const PAD = 0;
const UNK = 1;
const SEP = 2;
const V = VOCAB.length;
/** One-hot embeddings (row V: the absorbing state), scaled so the sampler's last noise never moves a position to another row. */
const D = V + 1;
const SCALE = 8;

/** One denoiser call as the fake saw it. */
export interface DenoiserCall {
  B: number;
  L: number;
  t: number;
  feeds: DenoiserFeeds;
  x0: Float32Array;
}

export function fakeManifest(overrides: { selfConditioning?: boolean; targetPositions?: 'absolute' | 'restart' } = {}): ModelManifest {
  return {
    format: 'diffuseq-v2',
    formatVersion: 1,
    name: 'fake',
    description: 'echo',
    tasks: { paraphrase: { token: '[PARA]', id: 3 } },
    tokens: { pad: PAD, unk: UNK, sep: SEP },
    // Budget n + 1: room for the n source words and [SEP]; L = n + 2 + n + 1.
    lengths: { maxSource: 16, maxTarget: 16, targetBudget: { ratio: 1, extra: 1 } },
    embedding: { file: 'embeddings.bin', dtype: 'float32', vocabSize: V, dim: D, absorbingRow: V },
    diffusion: { schedule: 'sqrt', steps: 2000, absorbingRate: 0, predict: 'x0', selfConditioning: overrides.selfConditioning ?? false },
    files: { denoiser: 'denoiser.onnx', rounding: 'rounding.onnx', tokenizer: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json' },
    ...(overrides.targetPositions ? { model: { targetPositions: overrides.targetPositions } } : {}),
  };
}

function nearest(x: Float32Array, at: number, rows: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let v = 0; v < rows; v++) {
    let dist = 0;
    for (let i = 0; i < D; i++) dist += (x[at + i] - (i === v ? SCALE : 0)) ** 2;
    if (dist < bestD) {
      bestD = dist;
      best = v;
    }
  }
  return best;
}

/** Parts of an engine around the echo denoiser; `calls` records every denoiser call in order. */
export function fakeParts(manifest: ModelManifest = fakeManifest()): { parts: EngineParts; calls: DenoiserCall[]; released: string[] } {
  const calls: DenoiserCall[] = [];
  const released: string[] = [];
  const embeddings = new Float32Array((V + 1) * D);
  for (let v = 0; v <= V; v++) embeddings[v * D + v] = SCALE;
  const idOf = (w: string): number => {
    const id = VOCAB.indexOf(w.toLowerCase());
    return id > SEP ? id : UNK;
  };
  const encodeIds = (text: string): number[] => text.split(/\s+/).filter(Boolean).map(idOf);
  const parts: EngineParts = {
    pkg: { dir: '/fake', manifest, embeddings },
    tokenizer: {
      unkId: UNK,
      placeholderPool: [],
      encodeIds,
      count: (text) => (text.trim() ? encodeIds(text).length : 0),
      encode: (text) => ({
        ids: encodeIds(text),
        unknownWords: text.split(/\s+/).filter((w) => w && idOf(w) === UNK),
      }),
      isContinuation: () => false,
      decode: (ids) => ids.map((id) => VOCAB[id]).join(' '),
    },
    pieceTable: { pieces: VOCAB, special: new Set([PAD, UNK, SEP, 3]) },
    denoiser: {
      async predict(feeds, { B, L, d }) {
        const x0 = new Float32Array(B * L * d);
        for (let r = 0; r < B; r++) {
          const row = r * L * d;
          // The source is clean (anchored): [TASK] w1 … wn [SEP]; the first [SEP] ends it.
          let S = 1;
          while (S < L && nearest(feeds.x_t, row + S * d, V) !== SEP) S++;
          S++;
          for (let p = 0; p < L; p++) {
            const i = p - S;
            const id =
              p < S ? nearest(feeds.x_t, row + p * d, V) : i < S - 2 ? nearest(feeds.x_t, row + (1 + i) * d, V) : i === S - 2 ? SEP : PAD;
            x0[row + p * d + id] = SCALE;
          }
        }
        calls.push({ B, L, t: feeds.t[0], feeds: { ...feeds, x_t: Float32Array.from(feeds.x_t) }, x0 });
        return x0;
      },
      release: async () => void released.push('denoiser'),
    },
    rounding: {
      async tokens(x, B, W) {
        return Int32Array.from({ length: B * W }, (_, k) => nearest(x, k * D, V));
      },
      scores: () => Promise.reject(new Error('the fake package has no word list')),
      release: async () => void released.push('rounding'),
    },
    executionProvider: 'cpu',
    executionProviderReason: 'a test',
  };
  return { parts, calls, released };
}
