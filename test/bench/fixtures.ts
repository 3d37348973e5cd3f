/** Synthetic benchmark results for the tests of bench/ (no engine, no model). */
import type { ConfigResult, QualityResult, QualityRun, SpeedResult } from '../../bench/lib/schema';
import { summarize } from '../../bench/lib/stats';
import type { MachineInfo } from '../../bench/lib/machine';

export const MACHINE: MachineInfo = {
  slug: 'test-cpu-2c',
  cpuModel: 'Test CPU',
  cores: 2,
  totalMemoryGiB: 8,
  platform: 'linux',
  arch: 'x64',
  release: '6.0',
  node: 'v20.0.0',
  onnxruntime: '1.30.0',
  loadAverageStart: [0.5, 0.4, 0.3],
  loadAverageEnd: [0.7, 0.5, 0.3],
};

export function config(
  words: number,
  candidates: number,
  steps: number,
  axes: string[],
  wall: number[],
  networkShare = 0.95,
): ConfigResult {
  const network = wall.map((w) => w * networkShare);
  return {
    id: `w${words}-c${candidates}-k${steps}`,
    axes,
    words,
    candidates,
    steps,
    sampler: 'dpm',
    task: 'paraphrase',
    warmup: 1,
    wallMs: summarize(wall),
    cpuMs: summarize(wall.map((w) => w * 2)),
    stagesMs: { tokenize: 0.2, network: network[0], solver: 0.5, rounding: 1, mbr: 0.3, total: wall[0] },
    overhead: summarize(
      wall.map(() => 1 - networkShare),
      Infinity,
    ),
    segments: words > 60 ? 2 : 1,
    executionProvider: 'cpu',
    loadMs: 800,
    rss: { baselineMiB: 50, afterLoadMiB: 200, peakMiB: 250 + candidates },
    samples: { wallMs: wall, cpuMs: wall.map((w) => w * 2), overhead: wall.map(() => 1 - networkShare), network, total: wall },
    workers: 1,
  };
}

export function speedResult(): SpeedResult {
  const configs = [
    config(20, 8, 10, ['default', 'words', 'candidates', 'steps'], [100, 102, 98, 101, 99]),
    config(8, 8, 10, ['words'], [60, 61, 62]),
    config(80, 8, 10, ['words'], [400, 410, 700]), // noisy
    config(20, 1, 10, ['candidates'], [30, 31, 29], 0.8),
    config(20, 16, 10, ['candidates'], [190, 200, 195]),
    config(20, 8, 1, ['steps', 'corner'], [15, 16, 15], 0.7),
    config(20, 8, 20, ['steps'], [200, 201, 199]),
  ];
  const dpm = config(20, 8, 10, ['reference'], [100, 100, 100]);
  const ddpm = { ...config(20, 8, 2000, ['reference'], [20000, 21000]), sampler: 'ddpm' as const, id: 'ref-ddpm' };
  return {
    kind: 'speed',
    createdAt: '2026-11-23T10:00:00.000Z',
    durationS: 300,
    command: 'node out/bench/speed.js --quick',
    model: { dir: 'models/_dev-random', name: '_dev-random', diffusionSteps: 2000, parameters: 1234567 },
    provider: 'cpu',
    executionProvider: 'cpu',
    settings: {
      task: 'paraphrase',
      warmup: 1,
      minRepeats: 3,
      maxRepeats: 5,
      budgetPerConfigS: 2,
      noisySpread: 0.5,
      grid: 'quick',
      rounds: 1,
    },
    machine: MACHINE,
    loadMs: summarize([800, 820, 790]),
    activation: { status: 'skipped', reason: 'dist/extension.js not found' },
    configs,
    defaultId: 'w20-c8-k10',
    overhead: { target: 0.1, atDefault: 0.05, worst: 0.3, worstId: 'w20-c8-k1', pass: true },
    reference: { words: 20, candidates: 8, dpm, ddpm, speedup: { ratio: 205, low: 200, high: 210 } },
    throughput: {
      file: '../shared/data/qqp/test.jsonl',
      sentences: 200,
      candidates: 8,
      steps: 10,
      sequential: { seconds: 20, sentencesPerSecond: 10 },
      batch: { seconds: 10, sentencesPerSecond: 20 },
      peakRssMiB: 300,
    },
    peakRssMiB: 300,
    notes: ['1 of 7 configurations are noisy'],
  };
}

function run(
  task: string,
  sampler: 'dpm' | 'ddpm',
  steps: number,
  candidates: number,
  set: 'sweep' | 'reference',
  bleu: number,
  selfBleu?: number,
): QualityRun {
  return {
    task,
    sampler,
    steps,
    candidates,
    limit: set === 'sweep' ? 100 : 20,
    set,
    bleu,
    selfBleu,
    metrics: {},
    seconds: 10,
    sentencesPerSecond: 10,
    status: 'ok',
  };
}

export function qualityResult(): QualityResult {
  const runs: QualityRun[] = [];
  for (const task of ['paraphrase', 'simplify']) {
    for (const c of [1, 5, 10]) {
      for (const k of [1, 2, 5, 10, 20]) {
        runs.push(run(task, 'dpm', k, c, 'sweep', 0.1 + 0.01 * k + 0.005 * c, c > 1 ? 0.9 - 0.02 * k : undefined));
      }
    }
    for (const k of [1, 2, 5, 10, 20]) runs.push(run(task, 'dpm', k, 1, 'reference', 0.1 + 0.01 * k));
    runs.push(run(task, 'ddpm', 2000, 1, 'reference', 0.3));
  }
  runs.push({ ...run('simplify', 'dpm', 50, 5, 'sweep', 0), status: 'failed', bleu: undefined, error: 'boom' });
  return {
    kind: 'quality',
    createdAt: '2026-11-23T11:00:00.000Z',
    durationS: 1200,
    command: 'node out/bench/quality.js',
    model: { dir: 'models/default', name: 'default', diffusionSteps: 2000 },
    provider: 'cpu',
    machine: MACHINE,
    settings: {
      limit: 100,
      referenceLimit: 20,
      steps: [1, 2, 5, 10, 20],
      candidates: [1, 5, 10],
      referenceCandidates: 1,
      tasks: { paraphrase: 'qqp/test.jsonl', simplify: 'asset/test.jsonl' },
    },
    runs,
    notes: [],
  };
}
