import * as assert from 'node:assert/strict';
import { evalArgs, evalCommandLine, parseEvalJson, qualityRunFromEval } from '../../bench/lib/evalCli';
import { CostModel, fitLimits, kindOf, Planned, refitCost, runSeconds, units } from '../../bench/quality';

const REPORT = {
  model: { name: 'm', dir: '/x' },
  data: 'qqp/test.jsonl',
  task: 'paraphrase',
  examples: 50,
  options: { candidates: 5, steps: 10, order: 2, sampler: 'dpm', noiseInit: 'gaussian', solverVariant: 'textbook', seed: 0 },
  executionProvider: 'cpu',
  mbr: { bleu: 0.21, rougeL: 0.5, dist1: 0.9, compressionRatio: 1.01, identicalToInput: 0.1, meanWords: 9.5 },
  single: { bleu: 0.18, rougeL: 0.45, dist1: 0.9, compressionRatio: 1.0, identicalToInput: 0.05, meanWords: 9.4 },
  diversity: { selfBleu: 0.6, div4: 0.5, dist1: 0.8 },
  timing: { wallSeconds: 10, msPerSentence: 200, stages: { network: 150 } },
  warnings: [],
};

describe('bench/quality', () => {
  it('reads the eval report from the last JSON line of stdout', () => {
    const out = `some log line\n{"not":"a report"}\n${JSON.stringify(REPORT)}\n`;
    assert.equal(parseEvalJson(out).mbr.bleu, 0.21);
    assert.throws(() => parseEvalJson('no json here'), /no eval report/);
    assert.throws(() => parseEvalJson('{"mbr": {}}'), /no eval report/);
  });

  it('turns a report into a run: MBR BLEU, self-BLEU only with several candidates, single-sample metrics kept', () => {
    const r = qualityRunFromEval(parseEvalJson(JSON.stringify(REPORT)), {
      task: 'paraphrase',
      sampler: 'dpm',
      steps: 10,
      candidates: 5,
      set: 'sweep',
      seconds: 12,
    });
    assert.equal(r.status, 'ok');
    assert.equal(r.bleu, 0.21);
    assert.equal(r.selfBleu, 0.6);
    assert.equal(r.metrics.bleuSingle, 0.18);
    assert.equal(r.metrics.div4, 0.5);
    assert.equal(r.limit, 50);
    assert.equal(r.sentencesPerSecond, 5);
    const summary = parseEvalJson(JSON.stringify(REPORT));
    const one = qualityRunFromEval(
      { ...summary, diversity: { ...summary.diversity, selfBleu: 0 } },
      { task: 'paraphrase', sampler: 'dpm', steps: 10, candidates: 1, set: 'sweep', seconds: 1 },
    );
    assert.equal(one.selfBleu, undefined);
    const bad = qualityRunFromEval(
      { ...summary, mbr: { ...summary.mbr, bleu: NaN } },
      { task: 'paraphrase', sampler: 'dpm', steps: 10, candidates: 1, set: 'sweep', seconds: 1 },
    );
    assert.equal(bad.status, 'failed');
  });

  it('builds the eval command of a sweep run, a DDPM run and the throughput run from one place', () => {
    const sweep = {
      task: 'paraphrase',
      file: '/d/qqp/test.jsonl',
      modelDir: '/r/models/default',
      candidates: 5,
      limit: 100,
      provider: 'cpu',
    };
    assert.deepEqual(evalArgs({ ...sweep, sampler: 'dpm', steps: 10, threads: 2, batch: 8 }), [
      '--task',
      'paraphrase',
      '--data',
      '/d/qqp/test.jsonl',
      '--model',
      '/r/models/default',
      '--candidates',
      '5',
      '--limit',
      '100',
      '--sampler',
      'dpm',
      '--provider',
      'cpu',
      '--json',
      '--steps',
      '10',
      '--threads',
      '2',
      '--batch',
      '8',
    ]);
    // DDPM: no --steps (the model's T); threads and batch 0 mean the defaults.
    assert.deepEqual(evalArgs({ ...sweep, sampler: 'ddpm', threads: 0, batch: 0 }), [
      '--task',
      'paraphrase',
      '--data',
      '/d/qqp/test.jsonl',
      '--model',
      '/r/models/default',
      '--candidates',
      '5',
      '--limit',
      '100',
      '--sampler',
      'ddpm',
      '--provider',
      'cpu',
      '--json',
    ]);
    // Throughput: eval's default sampler.
    const t = evalArgs({ ...sweep, candidates: 8, steps: 10, limit: 200 });
    assert.equal(
      evalCommandLine('/r', t),
      'node bin/diffuseq.js eval --task paraphrase --data ../d/qqp/test.jsonl --model models/default --candidates 8 --limit 200 --provider cpu --json --steps 10',
    );
  });

  it('scales the limits down to fit the time budget, never up', () => {
    const plan: Planned[] = [];
    for (const c of [1, 5, 10])
      for (const k of [1, 2, 5, 10, 20])
        plan.push({ task: 'p', file: 'f', sampler: 'dpm', steps: k, candidates: c, set: 'sweep', limit: 200 });
    for (const k of [1, 2, 5, 10, 20])
      plan.push({ task: 'p', file: 'f', sampler: 'dpm', steps: k, candidates: 1, set: 'reference', limit: 20 });
    plan.push({ task: 'p', file: 'f', sampler: 'ddpm', steps: 2000, candidates: 1, set: 'reference', limit: 20 });
    assert.equal(
      plan.filter((p) => p.set === 'sweep').reduce((a, p) => a + units(p), 0),
      200 * 38 * 16,
    );
    assert.deepEqual(plan.map(kindOf).slice(-2), ['reference-dpm', 'ddpm']);
    const cheap: CostModel = { overheadS: 1, perUnit: { sweep: 1e-6, 'reference-dpm': 1e-5 }, ddpmPerSentence: 0.1 };
    const roomy = fitLimits(plan, cheap, 3600);
    assert.deepEqual([roomy.limit, roomy.referenceLimit, roomy.scaled], [200, 20, false]);
    assert.ok(Math.abs(runSeconds(plan[plan.length - 1], cheap) - 3) < 1e-9);
    const slow: CostModel = { overheadS: 2, perUnit: { sweep: 0.01, 'reference-dpm': 0.03 }, ddpmPerSentence: 60 };
    const tight = fitLimits(plan, slow, 1200);
    assert.equal(tight.scaled, true);
    assert.ok(tight.limit < 200 && tight.limit >= 20 && tight.limit % 10 === 0);
    assert.ok(tight.referenceLimit < 20 && tight.referenceLimit >= 3);
    assert.ok(tight.projectedS <= 1200, `projected ${tight.projectedS}`);
    assert.equal(fitLimits(plan, slow, 0).scaled, false);
  });

  it('refits the cost model from completed runs, per kind', () => {
    const m: CostModel = { overheadS: 5, perUnit: { sweep: 1, 'reference-dpm': 1 }, ddpmPerSentence: 1 };
    const sweep: Planned = { task: 'p', file: 'f', sampler: 'dpm', steps: 10, candidates: 5, set: 'sweep', limit: 10 };
    const ddpm: Planned = { task: 'p', file: 'f', sampler: 'ddpm', steps: 2000, candidates: 1, set: 'reference', limit: 4 };
    const r = refitCost(m, [
      { p: sweep, wall: 5, seconds: 7 },
      { p: ddpm, wall: 200, seconds: 202 },
    ]);
    assert.equal(r.overheadS, 2);
    assert.equal(r.perUnit.sweep, 0.01);
    assert.equal(r.perUnit['reference-dpm'], 1);
    assert.equal(r.ddpmPerSentence, 50);
    assert.equal(refitCost(m, []), m);
  });
});
