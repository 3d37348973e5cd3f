import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EvalDataError } from '../../src/engine/errors';
import { evaluate, quality, readEvalData, wordShares } from '../../src/engine/eval';
import { diffuseqBleu, sentenceBleuText } from '../../src/engine/metrics/bleu';
import { RewriteEngine } from '../../src/engine/pipeline';
import { requireTestModel } from '../cli/testModel';

function tmpFile(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-eval-'));
  const f = path.join(dir, 'data.jsonl');
  fs.writeFileSync(f, content);
  return f;
}

describe('engine/eval', () => {
  describe('readEvalData', () => {
    it('reads pairs and multi-reference lines, skipping blank lines, with --limit', () => {
      const f = tmpFile('{"src":"a b","trg":"c"}\n\n{"src":"d","refs":["e","f"]}\n{"src":"g","trg":"h"}\n');
      assert.deepEqual(readEvalData(f), [
        { src: 'a b', refs: ['c'], line: 1 },
        { src: 'd', refs: ['e', 'f'], line: 3 },
        { src: 'g', refs: ['h'], line: 4 },
      ]);
      assert.equal(readEvalData(f, 2).length, 2);
    });
    it('names the file and line of a malformed line', () => {
      const cases: [string, RegExp][] = [
        ['{"src":"a","trg":"b"}\n{"src": "x"\n', /data\.jsonl:2: not valid JSON/],
        ['{"src":"a","trg":"b"}\n[1,2]\n', /data\.jsonl:2: expected an object/],
        ['{"trg":"b"}\n', /data\.jsonl:1: "src" must be a non-empty string/],
        ['{"src":"a"}\n', /data\.jsonl:1: needs "trg" \(a string\) or "refs" \(a list of strings\)/],
        ['{"src":"a","refs":[]}\n', /data\.jsonl:1: "refs" must be a non-empty list of strings/],
        ['\n\n', /has no examples/],
      ];
      for (const [content, re] of cases) {
        assert.throws(
          () => readEvalData(tmpFile(content)),
          (e: Error) => e instanceof EvalDataError && re.test(e.message),
        );
      }
    });
    it('says when the file cannot be read', () => {
      assert.throws(() => readEvalData('/nonexistent/x.jsonl'), /cannot read \/nonexistent\/x\.jsonl: no such file/);
      assert.throws(() => readEvalData(os.tmpdir()), /is a folder/);
    });
  });

  describe('quality', () => {
    it('scores outputs equal to the references as perfect and counts identical outputs', () => {
      const srcs = ['the cat sat on the mat today .', 'a b c d e f'];
      const refs = [['the cat sat on the mat today .'], ['x y z w v u']];
      const outs = ['the cat sat on the mat today .', 'x y z w v u'];
      const q = quality(srcs, outs, refs, true);
      assert.equal(q.bleu, 1);
      assert.equal(q.rougeL, 1);
      assert.equal(q.identicalToInput, 0.5);
      assert.equal(q.compressionRatio, (1 + 11 / 11) / 2);
      assert.equal(q.meanWords, 7);
      assert.ok(q.sari !== undefined && q.sari > 0);
      assert.equal(quality(srcs, outs, refs, false).sari, undefined);
    });
    it('iBLEU = 0.8·BLEU(output, refs) − 0.2·BLEU(output, source): a copy of the source pays for copying', () => {
      const srcs = ['how do i learn english fast ?'];
      const refs = [['what is the quickest way to learn english ?']];
      const copy = quality(srcs, srcs, refs, false);
      assert.equal(copy.bleuToSource, 1);
      assert.equal(copy.identicalToInput, 1);
      const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
      near(copy.ibleu, 0.8 * diffuseqBleu(srcs[0], refs[0][0]) - 0.2);
      const ref = quality(srcs, [refs[0][0]], refs, false);
      assert.equal(ref.bleu, 1);
      near(ref.ibleu, 0.8 - 0.2 * diffuseqBleu(refs[0][0], srcs[0]));
      assert.ok(ref.ibleu > copy.ibleu);
    });
  });

  describe('wordShares', () => {
    // A stand-in for the engine's two checks: "zz" is invented unless the source has it; "a a" repeats.
    const checks = (hasList: boolean) => ({
      inventedWords: (t: string, s: string) => (hasList ? t.split(' ').filter((w) => w === 'zz' && !s.includes('zz')) : undefined),
      repeatsWord: (t: string) => / (\w+) \1\b/.test(` ${t}`),
    });
    it('counts MBR choices and all candidates with an invented or a repeated word', () => {
      const w = wordShares(
        checks(true),
        ['x y', 'zz y'],
        ['zz y', 'a a'],
        [
          ['zz y', 'a b', 'c d', 'e f'],
          ['zz q', 'a a', 'b', 'c'],
        ],
      );
      // MBR: "zz y" invented (source 1 lacks zz), "a a" repeats. Candidates: 1 invented of 8 ("zz q" has its source's zz).
      assert.deepEqual(w, { inventedMbr: 0.5, inventedCandidates: 1 / 8, repeatedMbr: 0.5, repeatedCandidates: 1 / 8 });
    });
    it('has no invented-word share without a word list', () => {
      const w = wordShares(checks(false), ['x'], ['zz'], [['zz']]);
      assert.equal(w.inventedMbr, null);
      assert.equal(w.inventedCandidates, null);
    });
  });

  describe('quality: BLEU orientation', () => {
    // One reference: "the cat sat" against "the cat sat on the mat". DiffuSeq's order makes the longer reference
    // the hypothesis (no brevity penalty, 3 of 6 unigrams matched...), the textbook order scores the short output
    // against the reference with a brevity penalty of exp(1 - 6/3).
    const src = ['a cat was sitting on the mat'];
    const out = ['the cat sat'];
    const ref = [['the cat sat on the mat']];
    it('bleu follows DiffuSeq (output as reference), bleuHypRef scores the output against the reference', () => {
      const q = quality(src, out, ref, false);
      assert.equal(q.bleu, diffuseqBleu(out[0], ref[0][0]));
      assert.equal(q.bleuHypRef, sentenceBleuText(out[0], ref[0]));
      assert.ok(q.bleuHypRef < q.bleu, `${q.bleuHypRef} < ${q.bleu}: the short output pays the brevity penalty`);
    });
    it('with several references both are sentence_bleu(refs, output)', () => {
      const refs = ['the cat sat on the mat', 'a cat sat there'];
      const q = quality(src, out, [refs], false);
      assert.equal(q.bleu, q.bleuHypRef);
      assert.equal(q.bleu, sentenceBleuText(out[0], refs));
    });
  });

  describe('evaluate (real package)', function () {
    this.timeout(120000);
    let engine: RewriteEngine;
    before(async function () {
      const model = await requireTestModel(this);
      engine = await RewriteEngine.load(model, { executionProvider: 'cpu' });
    });
    after(async () => {
      await engine?.dispose();
    });

    it('rewrites every source and reports MBR and single-sample scores', async () => {
      const f = tmpFile(
        [
          { src: 'How can I be a good geologist?', trg: 'What should I do to be a great geologist?' },
          { src: 'Why is the sky blue?', trg: 'What makes the sky blue?' },
          { src: 'How do I learn French fast?', trg: 'What is the fastest way to learn French?' },
        ]
          .map((x) => JSON.stringify(x))
          .join('\n'),
      );
      const data = readEvalData(f);
      let progress = 0;
      const r = await evaluate(engine, data, f, {
        task: 'paraphrase',
        candidates: 2,
        steps: 2,
        batchSources: 2,
        keepCandidates: true,
        onProgress: (d) => (progress = d),
      });
      assert.equal(progress, 3);
      assert.equal(r.examples, 3);
      assert.equal(r.results.length, 3);
      assert.deepEqual(
        r.results.map((x) => x.line),
        [1, 2, 3],
      );
      for (const x of r.results) {
        assert.equal(x.candidates!.length, 2);
        assert.equal(x.first, x.candidates![0].trim());
      }
      for (const q of [r.mbr, r.single]) {
        assert.ok(q.bleu >= 0 && q.bleu <= 1 && q.rougeL >= 0 && q.rougeL <= 1);
        assert.equal(q.sari, undefined);
      }
      assert.ok(r.timing.msPerSentence > 0);
      assert.equal(r.options.seed, 0);
      // The copy baseline beside the model: every input unchanged.
      assert.equal(r.copy.identicalToInput, 1);
      assert.equal(r.copy.bleuToSource, 1);
      assert.deepEqual(
        r.copy,
        quality(
          data.map((e) => e.src),
          data.map((e) => e.src),
          data.map((e) => e.refs),
          false,
        ),
      );
      // The same evaluation again gives the same outputs (seeded).
      const again = await evaluate(engine, data, f, { task: 'paraphrase', candidates: 2, steps: 2 });
      assert.deepEqual(
        again.results.map((x) => x.mbr),
        r.results.map((x) => x.mbr),
      );
    });

    it('computes SARI for simplification with multiple references', async () => {
      const f = tmpFile(
        JSON.stringify({ src: 'The cat, which was old, sat on the mat.', refs: ['The old cat sat on the mat.', 'The cat sat.'] }),
      );
      const r = await evaluate(engine, readEvalData(f), f, { task: 'simplify', candidates: 2, steps: 2 });
      assert.ok(r.mbr.sari !== undefined && r.mbr.sari >= 0 && r.mbr.sari <= 100);
    });
  });
});
