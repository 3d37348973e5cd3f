import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { Tokenizer } from 'tokenizers';
import { LICENCES, UNKNOWN_LICENCE, prepare, readMeta, readSplit, targetBudget, trainTokenizer } from '../../src/trainer/prepare';
import { UserError } from '../../src/common/commandLine';
import { lengthStats } from '../../src/trainer/prepare/report';
import { defaultDataDir } from '../../src/common/defaultDirs';
import { isCI } from '../../src/trainer/pythonTests';

const WORDS = (
  'the a an of to in on for with what how why is are can do does which best way learn good better make people ' +
  'india money online quickly english language computer science study university job find life world time ' +
  'question answer simple complex sentence rewrite easier words river mountain city country history music ' +
  'hornet species nests aerial subterranean similar festival announced worldwide search underway series films'
).split(' ');

/** Deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(r: () => number, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(WORDS[Math.floor(r() * WORDS.length)]);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return w.join(' ') + (r() < 0.5 ? '?' : '.');
}

function writeJsonl(file: string, rows: unknown[], gz = false): void {
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  fs.writeFileSync(file, gz ? zlib.gzipSync(text) : text);
}

describe('trainer/prepare', function () {
  this.timeout(60_000);
  let tmp: string;
  let para: string;
  let simp: string;
  let out: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-test-'));
    const r = rng(7);
    // "qqp": a folder with a pair valid file, train gzipped.
    para = path.join(tmp, 'qqp');
    fs.mkdirSync(para);
    const paraTrain = Array.from({ length: 300 }, () => ({ src: sentence(r, 4, 14), trg: sentence(r, 4, 14) }));
    paraTrain[5] = { src: 'Ünïcödé café naïve façade — “quoted” words', trg: 'unicode cafe naive facade "quoted" words' };
    // One overlong pair, to be truncated on both sides.
    paraTrain[7] = {
      src: Array.from({ length: 90 }, (_, i) => WORDS[i % WORDS.length]).join(' '),
      trg: Array.from({ length: 80 }, (_, i) => WORDS[(i * 3) % WORDS.length]).join(' '),
    };
    writeJsonl(path.join(para, 'train.jsonl.gz'), paraTrain, true);
    writeJsonl(
      path.join(para, 'valid.jsonl'),
      Array.from({ length: 20 }, () => ({ src: sentence(r, 4, 10), trg: sentence(r, 4, 10) })),
    );
    // "asset": a folder with a multi-reference valid file.
    simp = path.join(tmp, 'asset');
    fs.mkdirSync(simp);
    writeJsonl(
      path.join(simp, 'train.jsonl'),
      Array.from({ length: 200 }, () => ({ src: sentence(r, 10, 25), trg: sentence(r, 5, 12) })),
    );
    writeJsonl(
      path.join(simp, 'valid.jsonl'),
      Array.from({ length: 10 }, () => ({ src: sentence(r, 10, 20), refs: [sentence(r, 5, 10), sentence(r, 5, 10), sentence(r, 5, 10)] })),
    );
    out = path.join(tmp, 'prep');
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  let meta: ReturnType<typeof readMeta>;
  it('knows the licence of every dataset in the data folder (a new set must not ship as "unknown")', function () {
    const dataDir = path.resolve(defaultDataDir(path.join(__dirname, '..', '..', '..')));
    if (!fs.existsSync(dataDir)) {
      if (isCI()) throw new Error(`the data folder ${dataDir} is missing (CI=true)`);
      this.skip();
    }
    const sets = fs.readdirSync(dataDir).filter((n) => fs.existsSync(path.join(dataDir, n, 'train.jsonl')));
    assert.ok(sets.length >= 5, `datasets under ${dataDir}: ${sets.join(', ')}`);
    assert.deepEqual(
      sets.filter((n) => !LICENCES[n]),
      [],
    );
  });

  it('prepares two datasets with their tasks into one folder', async () => {
    const logs: string[] = [];
    const res = await prepare({
      data: [
        { paths: [para], task: 'paraphrase' },
        { paths: [simp], task: 'simplify' },
      ],
      out,
      vocabSize: 150,
      maxSource: 24,
      maxTarget: 20,
      log: (l) => logs.push(l),
    });
    meta = readMeta(out);
    assert.deepStrictEqual(res.meta, meta);
    for (const f of [
      'tokenizer.json',
      'tokenizer_config.json',
      'meta.json',
      'train.tokens.bin',
      'train.index.bin',
      'valid.tokens.bin',
      'valid.index.bin',
    ]) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
    assert.strictEqual(meta.formatVersion, 1);
    assert.strictEqual(meta.tokenDtype, 'uint16');
    assert.strictEqual(meta.vocabSize, 150);
    assert.ok(meta.tokenizer.trainedVocab > 150, 'the trained vocabulary was cut');
    assert.deepStrictEqual(meta.tokens, { pad: 0, unk: 1, sep: 2 });
    assert.deepStrictEqual(meta.tasks, { paraphrase: { token: '[PARA]', id: 3 }, simplify: { token: '[SIMP]', id: 4 } });
    assert.deepStrictEqual({ maxSource: meta.lengths.maxSource, maxTarget: meta.lengths.maxTarget }, { maxSource: 24, maxTarget: 20 });
    assert.strictEqual(meta.splits.train.examples, 500);
    assert.strictEqual(meta.splits.valid.examples, 20 + 30); // multi-reference rows expand to one pair per ref
    assert.deepStrictEqual(
      meta.data.map((d) => [d.name, d.task, d.pairs, d.validPairs, d.licence]),
      [
        ['qqp', 'paraphrase', 300, 20, LICENCES.qqp],
        ['asset', 'simplify', 200, 30, LICENCES.asset],
      ],
    );
    assert.ok(meta.data[0].files[0].endsWith('train.jsonl.gz'));
    // report
    const rep = meta.report;
    assert.strictEqual(rep.datasets.length, 2);
    assert.ok(rep.train.truncatedSources >= 1 && rep.train.truncatedTargets >= 1, 'the overlong pair is truncated');
    assert.ok(rep.datasets[0].train.sourceLength.max >= 92, 'lengths are reported before truncation ([TASK] + ≥90 pieces + [SEP])');
    for (const k of ['p50', 'p90', 'p99', 'max'] as const) assert.ok(rep.train.sourceLength[k] > 0 && rep.train.targetLength[k] > 0);
    assert.ok(rep.train.unknownRate >= 0 && rep.train.unknownRate < 0.01);
    assert.ok(rep.seconds.total > 0);
    assert.ok(logs.some((l) => l.includes('time:')) && logs.some((l) => l.includes('licence: CC BY-NC 4.0')));
  });

  it('writes shards that decode back to the tokenizer ids, with truncation and budget counted', async () => {
    const tok = Tokenizer.fromFile(path.join(out, 'tokenizer.json'));
    const readPairsOf = (file: string) => {
      let text = fs.readFileSync(file);
      if (file.endsWith('.gz')) text = zlib.gunzipSync(text);
      return text
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { src: string; trg?: string; refs?: string[] });
    };
    const train = readSplit(out, 'train', meta);
    const expected = [
      ...readPairsOf(path.join(para, 'train.jsonl.gz')).map((p) => ({ ...p, task: 3 })),
      ...readPairsOf(path.join(simp, 'train.jsonl')).map((p) => ({ ...p, task: 4 })),
    ];
    assert.strictEqual(train.length, expected.length);
    let truncS = 0;
    let truncT = 0;
    let over = 0;
    for (let i = 0; i < expected.length; i++) {
      const s = (await tok.encode(expected[i].src, null, { addSpecialTokens: false })).getIds();
      const t = (await tok.encode(expected[i].trg!, null, { addSpecialTokens: false })).getIds();
      if (s.length > 22) truncS++;
      if (t.length > 19) truncT++;
      const src = [expected[i].task, ...s.slice(0, 22), 2];
      const trg = [...t.slice(0, 19), 2];
      assert.deepStrictEqual(train[i].source, src, `source of example ${i}`);
      assert.deepStrictEqual(train[i].target, trg, `target of example ${i}`);
      if (trg.length > targetBudget(src.length - 2, 20, { ratio: 1.5, extra: 6 })) over++;
    }
    assert.strictEqual(meta.report.train.truncatedSources, truncS);
    assert.strictEqual(meta.report.train.truncatedTargets, truncT);
    assert.strictEqual(meta.report.train.overBudget, over);
    assert.ok(over > 0, 'the asset-like pairs (long source, short target) are within budget, but some qqp ones are not');
    const valid = readSplit(out, 'valid', meta);
    assert.strictEqual(valid.length, 50);
    const mref = readPairsOf(path.join(simp, 'valid.jsonl'));
    const ref0 = (await tok.encode(mref[0].refs![1], null, { addSpecialTokens: false })).getIds();
    assert.deepStrictEqual(valid[21].target, [...ref0.slice(0, 19), 2], 'second ref of the first multi-reference row');
    // Index rows: trgStart = srcStart + srcLen (contiguous example).
    const idx = new Int32Array(fs.readFileSync(path.join(out, 'train.index.bin')).buffer.slice(0));
    for (let r = 0; r < idx.length / 4; r++) assert.strictEqual(idx[r * 4 + 2], idx[r * 4] + idx[r * 4 + 1]);
  });

  it("--tokenizer reuses a folder's tokenizer: same bytes, ids and task tokens; refuses one without a task token", async () => {
    const again = path.join(tmp, 'prep-again');
    // Only the paraphrase data this time, encoded with the first run's tokenizer (as for train --init).
    const logs: string[] = [];
    const res = await prepare({
      data: [{ paths: [para], task: 'paraphrase' }],
      out: again,
      maxSource: 24,
      maxTarget: 20,
      tokenizerFrom: out,
      log: (l) => logs.push(l),
    });
    assert.deepStrictEqual(fs.readFileSync(path.join(again, 'tokenizer.json')), fs.readFileSync(path.join(out, 'tokenizer.json')));
    assert.deepStrictEqual(
      fs.readFileSync(path.join(again, 'tokenizer_config.json')),
      fs.readFileSync(path.join(out, 'tokenizer_config.json')),
    );
    assert.strictEqual(res.meta.vocabSize, meta.vocabSize);
    assert.deepStrictEqual(res.meta.tokens, meta.tokens);
    assert.deepStrictEqual(res.meta.tasks, { paraphrase: meta.tasks.paraphrase });
    assert.ok(
      logs.some((l) => /tokens from .*tokenizer\.json \(not trained\)/.test(l)),
      logs.join('\n'),
    );
    // The same pairs encode to the same ids as in the first folder.
    const first = readSplit(out, 'train', meta);
    const second = readSplit(again, 'train', res.meta);
    assert.strictEqual(second.length, 300);
    assert.deepStrictEqual(second, first.slice(0, second.length));
    // A tokenizer that lacks [SIMP] cannot encode simplification data.
    const paraOnly = path.join(tmp, 'prep-para-only');
    await prepare({
      data: [{ paths: [para], task: 'paraphrase' }],
      out: paraOnly,
      vocabSize: 150,
      maxSource: 24,
      maxTarget: 20,
      log: () => {},
    });
    await assert.rejects(
      prepare({ data: [{ paths: [simp], task: 'simplify' }], out: path.join(tmp, 'x'), tokenizerFrom: paraOnly, log: () => {} }),
      (e: Error) => e instanceof UserError && /has no \[SIMP\] token \(the data has a task the model was not trained for\)/.test(e.message),
    );
    await assert.rejects(
      prepare({ data: [{ paths: [para], task: 'paraphrase' }], out: path.join(tmp, 'y'), tokenizerFrom: tmp, log: () => {} }),
      /no tokenizer\.json there/,
    );
  });

  it('keeps every word of the training text encodable after cutting the vocabulary', async () => {
    const texts = [
      'Zebra xylophone quizzically jumps!',
      'Ünïcödé 東京 émigré',
      ...Array.from({ length: 50 }, (_, i) => `sentence number ${i} about ${WORDS[i % WORDS.length]}s`),
    ];
    const full = await trainTokenizer(texts, ['paraphrase'], 100000);
    const cut = await trainTokenizer(texts, ['paraphrase'], 4 + 80);
    assert.ok(full.keptVocab > cut.keptVocab, `full ${full.keptVocab} vs cut ${cut.keptVocab}`);
    for (const t of texts) {
      const ids = (await cut.tokenizer.encode(t, null, { addSpecialTokens: false })).getIds();
      assert.ok(!ids.includes(cut.specialIds.unk), `no [UNK] in "${t}": ${ids}`);
      const back = await cut.tokenizer.decode(ids, true);
      const fullBack = await full.tokenizer.decode((await full.tokenizer.encode(t, null, { addSpecialTokens: false })).getIds(), true);
      assert.strictEqual(back, fullBack);
    }
    await assert.rejects(trainTokenizer(texts, ['paraphrase'], 20), /too small/);
  });

  it('loads in @huggingface/transformers offline and encodes/decodes like the tokenizers library', async () => {
    const tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    const hf = await tf.AutoTokenizer.from_pretrained(path.resolve(out));
    const tok = Tokenizer.fromFile(path.join(out, 'tokenizer.json'));
    const sentences = [
      'What is the best way to learn English quickly?',
      "I can't believe it's 3.5 miles, isn't it?",
      'The hornet (Vespa crabro) nests—similar to the true hornets—are aerial.',
      'Ünïcödé café naïve façade “quoted” 東京 ∑ emoji 🙂 tab\there',
      '[PARA] with a task token and [SEP] inside',
      '   leading and trailing spaces   ',
      'UPPER lower MiXeD 12345 $100 50% e-mail@example.com',
    ];
    for (const s of sentences) {
      const a = (await tok.encode(s, null, { addSpecialTokens: false })).getIds();
      const b = hf.encode(s, { add_special_tokens: false });
      assert.deepStrictEqual(b, a, `encode "${s}"`);
      assert.deepStrictEqual(hf.encode(s), a, `encode with default special tokens "${s}" (no post-processor)`);
      for (const skip of [true, false]) {
        const da = await tok.decode(a, skip);
        const db = hf.decode(a, { skip_special_tokens: skip });
        assert.strictEqual(db, da, `decode skip=${skip} "${s}"`);
      }
    }
    assert.strictEqual(hf.encode('[SIMP]', { add_special_tokens: false })[0], 4);
  });

  it('names file and line of a malformed line', async () => {
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'train.jsonl'), '{"src":"a b","trg":"c d"}\n\n{"src":"e f","trg":"g h"}\n{"src": "broken", "trg": \n');
    await assert.rejects(
      prepare({ data: [{ paths: [bad], task: 'paraphrase' }], out: path.join(tmp, 'bad-out'), log: () => undefined }),
      (e: Error) => e instanceof UserError && e.message.includes(`${path.join(bad, 'train.jsonl')}:4:`) && /malformed JSON/.test(e.message),
    );
    fs.writeFileSync(path.join(bad, 'train.jsonl'), '{"src":"a b","trg":"c d"}\n{"source":"e f","trg":"g h"}\n');
    await assert.rejects(
      prepare({ data: [{ paths: [bad], task: 'paraphrase' }], out: path.join(tmp, 'bad-out'), log: () => undefined }),
      /train\.jsonl:2: "src" missing/,
    );
    const gz = path.join(tmp, 'bad2.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync('{"src":"a","trg":"b"}\nnot json\n'));
    await assert.rejects(
      prepare({ data: [{ paths: [gz], task: 'simplify' }], out: path.join(tmp, 'bad-out'), log: () => undefined }),
      /bad2\.jsonl\.gz:2: malformed JSON/,
    );
  });

  it('uses a file as train, splits off valid, limits, adds reversed paraphrases, and records unknown licences', async () => {
    const file = path.join(tmp, 'mine.jsonl');
    const r = rng(3);
    writeJsonl(
      file,
      Array.from({ length: 400 }, () => ({ src: sentence(r, 4, 12), trg: sentence(r, 4, 12) })),
    );
    const res = await prepare({
      data: [{ paths: [file], task: 'paraphrase', limit: 300 }],
      out: path.join(tmp, 'p2'),
      validFraction: 0.1,
      bothDirections: true,
      log: () => undefined,
    });
    const d = res.meta.report.datasets[0];
    assert.strictEqual(d.name, 'mine');
    assert.strictEqual(d.licence, UNKNOWN_LICENCE);
    assert.strictEqual(d.validSource, 'split');
    assert.ok(d.validPairs > 10 && d.validPairs < 60, `valid ${d.validPairs}`);
    assert.strictEqual(d.pairs, 2 * (300 - d.validPairs));
    assert.strictEqual(d.reversedAdded, 300 - d.validPairs);
    assert.deepStrictEqual(Object.keys(res.meta.tasks), ['paraphrase']);
  });
});

describe('trainer/prepare length statistics', () => {
  it('p50/p90/p99 interpolate between lengths (src/common/quantile.ts), by hand; an empty part is all zeros', () => {
    // 11 lengths: position 10·q. p99 at 9.9 lies between 20 and 100: 20 + 0.9·80 = 92 (nearest rank gave 100).
    assert.deepStrictEqual(lengthStats([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 100]), { p50: 12, p90: 20, p99: 92, max: 100, mean: 19.09 });
    // Two decimals like the mean: [0, 7] gives p90 0.9·7 = 6.3 and p99 6.93.
    assert.deepStrictEqual(lengthStats([7, 0]), { p50: 3.5, p90: 6.3, p99: 6.93, max: 7, mean: 3.5 });
    assert.deepStrictEqual(lengthStats([]), { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});
