/**
 * The WordPiece tokenizer of `diffuseq prepare`: trained on the training text and cut to the vocabulary size, or
 * loaded from an existing folder (a model package, an earlier prepare); its files written (tokenizer.json,
 * tokenizer_config.json) and the word list the engine's constrained rounding reads (words.txt.gz).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, wordPieceDecoder } from 'tokenizers';
import { TASKS, type Task, WORD_LIST_FILE, encodeWordList, pieceTableOf, wordsOf } from '../../engine';
import { UserError } from '../../common/commandLine';

/** The engine's tasks (src/engine/types.ts owns the list); prepare writes them in TASKS order. */
export type TaskName = Task;
export const TASK_TOKENS: Record<TaskName, string> = { paraphrase: '[PARA]', simplify: '[SIMP]' };
export const SPECIAL_TOKENS = { pad: '[PAD]', unk: '[UNK]', sep: '[SEP]' } as const;

function configureTokenizer(tok: Tokenizer): void {
  tok.setNormalizer(bertNormalizer({ lowercase: true, cleanText: true, handleChineseChars: true }));
  tok.setPreTokenizer(bertPreTokenizer());
  tok.setDecoder(wordPieceDecoder('##', true));
}

export interface TrainedTokenizer {
  tokenizer: Tokenizer;
  specialIds: { pad: number; unk: number; sep: number };
  taskIds: Partial<Record<TaskName, number>>;
  trainedVocab: number;
  keptVocab: number;
}

/**
 * The tokenizer of an existing folder (a model package or prepared data). Refuses one that lacks the special
 * tokens or the task token of a task in the data, naming what is missing.
 */
export function loadTokenizer(dir: string, tasks: TaskName[]): TrainedTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(file)) throw new UserError(`--tokenizer ${dir}: no tokenizer.json there`);
  const tokenizer = Tokenizer.fromFile(file);
  const idOf = (tok: string): number => {
    const id = tokenizer.tokenToId(tok);
    if (id === undefined || id === null) {
      throw new UserError(
        `--tokenizer ${dir}: its tokenizer has no ${tok} token${Object.values(TASK_TOKENS).includes(tok) ? ' (the data has a task the model was not trained for)' : ''}`,
      );
    }
    return id;
  };
  const specialIds = { pad: idOf(SPECIAL_TOKENS.pad), unk: idOf(SPECIAL_TOKENS.unk), sep: idOf(SPECIAL_TOKENS.sep) };
  const taskIds: Partial<Record<TaskName, number>> = {};
  for (const t of tasks) taskIds[t] = idOf(TASK_TOKENS[t]);
  const size = tokenizer.getVocabSize(true);
  return { tokenizer, specialIds, taskIds, trainedVocab: size, keptVocab: size };
}

/**
 * Trains a WordPiece on the texts and cuts it to `vocabSize` entries in total. The binding's trainer has no
 * options, so the size is set by keeping the first entries of the trained vocabulary (the trainer orders it:
 * alphabet, continuing-subword characters, then merges by frequency). Every single character and `##`
 * character of the trained vocabulary is always kept, so every word the trained tokenizer can encode stays
 * encodable (checked by the caller on the training text). Special tokens come first: [PAD]=0 [UNK]=1 [SEP]=2,
 * then one task token per task in the data.
 *
 * Not bit-reproducible: the Rust trainer breaks ties between equally frequent merges (and orders the `##`
 * characters) by hash-map order, which is random per process, so two runs on the same text give vocabularies that
 * differ in a few dozen rare tokens (and therefore different ids). The binding offers no seed.
 * The binding's trainer also stops at 30000 tokens (its default), so a larger --vocab-size gets at most that.
 */
export async function trainTokenizer(texts: string[], tasks: TaskName[], vocabSize: number): Promise<TrainedTokenizer> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-prepare-'));
  try {
    const corpus = path.join(tmp, 'corpus.txt');
    // One text per line; line breaks inside a text would only split it into two "sentences" for counting.
    fs.writeFileSync(corpus, texts.map((t) => t.replace(/[\r\n]+/g, ' ')).join('\n') + '\n');
    const raw = new Tokenizer(WordPiece.empty() as unknown as ReturnType<typeof WordPiece.init>);
    configureTokenizer(raw);
    raw.train([corpus]);
    const trained = Object.entries(raw.getVocab(false)).sort((a, b) => a[1] - b[1]);
    const specials = [
      SPECIAL_TOKENS.pad,
      SPECIAL_TOKENS.unk,
      SPECIAL_TOKENS.sep,
      ...TASKS.filter((t) => tasks.includes(t)).map((t) => TASK_TOKENS[t]),
    ];
    const room = vocabSize - specials.length;
    const isChar = (tok: string) => [...tok].length === 1 || (tok.startsWith('##') && [...tok].length === 3);
    const chars = trained.filter(([t]) => isChar(t) && !specials.includes(t));
    if (chars.length > room) {
      throw new UserError(
        `--vocab-size ${vocabSize} is too small: the training text has ${chars.length} distinct characters/continuations, and ${specials.length} special tokens are needed`,
      );
    }
    const vocab: Record<string, number> = {};
    specials.forEach((s, i) => (vocab[s] = i));
    let next = specials.length;
    const keep = new Set<string>(chars.map(([t]) => t));
    let budget = room - keep.size;
    for (const [t] of trained) {
      if (keep.has(t) || specials.includes(t)) continue;
      if (budget <= 0) break;
      keep.add(t);
      budget--;
    }
    for (const [t] of trained) if (keep.has(t)) vocab[t] = next++; // trained order preserved
    const tokenizer = new Tokenizer(WordPiece.init(vocab, { unkToken: SPECIAL_TOKENS.unk, continuingSubwordPrefix: '##' }));
    configureTokenizer(tokenizer);
    tokenizer.addSpecialTokens(specials);
    const taskIds: Partial<Record<TaskName, number>> = {};
    for (const t of TASKS) if (tasks.includes(t)) taskIds[t] = vocab[TASK_TOKENS[t]];
    return { tokenizer, specialIds: { pad: 0, unk: 1, sep: 2 }, taskIds, trainedVocab: trained.length, keptVocab: next };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** tokenizer_config.json that lets @huggingface/transformers (and transformers' AutoTokenizer) load the folder. */
export function tokenizerConfig(taskTokens: string[], maxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
    model_max_length: maxLength,
    pad_token: SPECIAL_TOKENS.pad,
    unk_token: SPECIAL_TOKENS.unk,
    sep_token: SPECIAL_TOKENS.sep,
    additional_special_tokens: taskTokens,
    // The WordPiece decoder already cleans up (" ." → "."); a second pass would change nothing but is skipped.
    clean_up_tokenization_spaces: false,
  };
}

/** tokenizer.json and tokenizer_config.json: copied byte for byte from `from`, else the trained ones. */
export function writeTokenizerFiles(
  out: string,
  tk: TrainedTokenizer,
  from: string | undefined,
  taskTokens: string[],
  maxLength: number,
): void {
  if (from) {
    // Byte for byte: `train --init` checks that the data's tokenizer is the package's.
    fs.copyFileSync(path.join(from, 'tokenizer.json'), path.join(out, 'tokenizer.json'));
  } else {
    tk.tokenizer.save(path.join(out, 'tokenizer.json'), false);
  }
  const cfgFrom = from && path.join(from, 'tokenizer_config.json');
  if (cfgFrom && fs.existsSync(cfgFrom)) fs.copyFileSync(cfgFrom, path.join(out, 'tokenizer_config.json'));
  else fs.writeFileSync(path.join(out, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig(taskTokens, maxLength), null, 2) + '\n');
}

/**
 * words.txt.gz (src/engine/wordList.ts): the words that the written tokenizer.json assembles from the training
 * text's ids, which `export` copies into the package for the engine's constrained rounding. Returns the word count.
 */
export function writeWordList(out: string, texts: readonly (readonly number[])[]): number {
  const table = pieceTableOf(JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')));
  const words = new Set<string>();
  for (const ids of texts) for (const w of wordsOf(ids, table)) words.add(w);
  fs.writeFileSync(path.join(out, WORD_LIST_FILE), encodeWordList(words));
  return words.size;
}
