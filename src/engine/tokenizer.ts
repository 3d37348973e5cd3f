/**
 * The model's tokenizer: a Hugging Face fast tokenizer (uncased WordPiece) loaded with @huggingface/transformers
 * from the package folder, with remote loading turned off.
 */
import * as path from 'node:path';
import { ModelPackageError, firstLine } from './errors';
import { cleanDecoded, shortenForMessage } from './text';

/** The parts of transformers.js' PreTrainedTokenizer that the engine uses. */
interface HfTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], opts?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
  all_special_tokens: string[];
  get_vocab(): Map<string, number> | Record<string, number>;
}

export interface Encoded {
  ids: number[];
  /** Words of the text that the vocabulary cannot represent (each became [UNK]). */
  unknownWords: string[];
}

/** How many placeholder tokens protected spans may use (a segment has at most maxSource − 2 tokens, 62 today). */
const PLACEHOLDER_POOL = 128;

export class Tokenizer {
  /** Each id's token (`##` marks a piece that continues a word). */
  private readonly tokens: string[] = [];
  /**
   * Tokens that stand for protected spans (docs/engine.md, "Protected spans"): whole, lower-case words of four or more
   * letters from the end of the vocabulary — WordPiece adds its rarest merges last, so these are words the model
   * has seen little and an input seldom contains.
   */
  readonly placeholderPool: readonly number[];

  private constructor(
    private readonly hf: HfTokenizer,
    readonly unkId: number,
    private readonly specialTokens: string[],
  ) {
    const vocab = hf.get_vocab();
    const entries = vocab instanceof Map ? [...vocab.entries()] : Object.entries(vocab);
    for (const [tok, id] of entries) {
      this.tokens[id] = tok;
    }
    const pool: number[] = [];
    for (let id = this.tokens.length - 1; id >= 0 && pool.length < PLACEHOLDER_POOL; id--) {
      if (/^[a-z]{4,}$/.test(this.tokens[id] ?? '')) {
        pool.push(id);
      }
    }
    this.placeholderPool = pool;
  }

  /** Loads tokenizer.json + tokenizer_config.json from `dir` (absolute or relative), never from the network. */
  static async load(dir: string, unkId: number, shownDir = dir): Promise<Tokenizer> {
    // transformers.js is an ES module with a CommonJS build; `require` keeps this file CommonJS-friendly.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tf = require('@huggingface/transformers') as typeof import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    const abs = path.resolve(dir);
    let hf: HfTokenizer;
    try {
      // An absolute path is not a hub id, so transformers.js reads the files from that folder as they are.
      hf = (await tf.AutoTokenizer.from_pretrained(abs, { local_files_only: true })) as unknown as HfTokenizer;
    } catch (e) {
      throw new ModelPackageError(shownDir, `the tokenizer could not be loaded (${firstLine(e)})`);
    }
    return new Tokenizer(hf, unkId, [...(hf.all_special_tokens ?? [])]);
  }

  /** Token ids of `text`, without special tokens. */
  encodeIds(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false });
  }

  /** Number of tokens of `text` (the `measure` of segment.ts). */
  count(text: string): number {
    return text.trim() ? this.encodeIds(text).length : 0;
  }

  /** Encodes `text` and names the words that became [UNK]. */
  encode(text: string): Encoded {
    const ids = this.encodeIds(text);
    const unknownWords: string[] = [];
    if (ids.includes(this.unkId)) {
      for (const word of text.split(/\s+/)) {
        if (word && this.encodeIds(word).includes(this.unkId)) {
          // Name the word without the punctuation around it ("😀." → "😀") when something is left.
          const bare = word.replace(/^[\p{P}]+|[\p{P}]+$/gu, '');
          unknownWords.push(bare || word);
        }
      }
      if (unknownWords.length === 0) {
        unknownWords.push('[UNK]');
      }
    }
    return { ids, unknownWords };
  }

  /** Whether `id` is a `##` piece that continues the previous word. */
  isContinuation(id: number): boolean {
    return this.tokens[id]?.startsWith('##') ?? false;
  }

  /** Decodes ids into clean text (special tokens stripped, word pieces joined, punctuation spacing fixed). */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) {
      return '';
    }
    const raw = this.hf.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
    return cleanDecoded(raw, this.specialTokens);
  }
}

/** The warning for words the vocabulary cannot represent. */
export function unknownWordsWarning(words: readonly string[]): string | undefined {
  if (words.length === 0) {
    return undefined;
  }
  const n = words.length;
  const shown = words
    .slice(0, 5)
    .map((w) => JSON.stringify(shortenForMessage(w)))
    .join(', ');
  return `${n} word${n === 1 ? ' is' : 's are'} not in the model's vocabulary (${shown}${n > 5 ? ', …' : ''}); they were replaced by [UNK]`;
}

/** What the engine uses of a tokenizer: the Tokenizer above, or a test's fake with the same answers. */
export type EngineTokenizer = Pick<Tokenizer, 'unkId' | 'placeholderPool' | 'encodeIds' | 'count' | 'encode' | 'isContinuation' | 'decode'>;
