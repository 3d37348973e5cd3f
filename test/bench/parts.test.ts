import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergeRounds, overheadVerdict } from '../../bench/lib/aggregate';
import { flag, num, parseArgs, str } from '../../bench/lib/args';
import { buildGrid, DEFAULT_GRID, parseIntList, QUICK_GRID } from '../../bench/lib/grid';
import { BENCH_TEXTS, benchText, wordCount } from '../../bench/lib/inputs';
import { dateStamp, machineSlug } from '../../bench/lib/machine';
import { listResultFiles, readResultFile, SCHEMA_VERSION, validateResultFile, writeSection } from '../../bench/lib/schema';
import { config, qualityResult, speedResult } from './fixtures';

describe('bench/machine', () => {
  it('makes short slugs from CPU model strings and core counts', () => {
    assert.equal(machineSlug('AMD EPYC', 2), 'amd-epyc-2c');
    assert.equal(machineSlug('Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz', 12), 'intel-core-i7-9750h-12c');
    assert.equal(machineSlug('AMD Ryzen 9 5950X 16-Core Processor', 32), 'amd-ryzen-9-5950x-32c');
    assert.equal(machineSlug('Apple M2 Pro', 10), 'apple-m2-pro-10c');
    assert.equal(machineSlug('', 4), 'cpu-4c');
    assert.ok(machineSlug('A'.repeat(100), 8).length <= 36);
  });

  it('dates files as YYYY-MM-DD', () => {
    assert.equal(dateStamp(new Date(2026, 0, 5, 12)), '2026-01-05');
  });
});

describe('bench/grid', () => {
  it('sweeps each axis around the default instead of the full cross product', () => {
    const g = buildGrid(DEFAULT_GRID);
    assert.equal(g[0].id, 'w20-c8-k10');
    assert.deepEqual(g[0].axes.sort(), ['candidates', 'default', 'steps', 'words']);
    // 1 default + 3 other lengths + 3 other candidate counts + 4 other step counts + 4 corners.
    assert.equal(g.length, 15);
    assert.equal(new Set(g.map((p) => p.id)).size, g.length);
    const words = g
      .filter((p) => p.axes.includes('words'))
      .map((p) => p.words)
      .sort((a, b) => a - b);
    assert.deepEqual(words, [8, 20, 40, 80]);
    const steps = g
      .filter((p) => p.axes.includes('steps'))
      .map((p) => p.steps)
      .sort((a, b) => a - b);
    assert.deepEqual(steps, [1, 2, 5, 10, 20]);
    for (const p of g.filter((x) => x.axes.includes('candidates'))) {
      assert.equal(p.words, 20);
      assert.equal(p.steps, 10);
    }
    assert.ok(buildGrid(QUICK_GRID).length < g.length);
  });

  it('parses axis lists', () => {
    assert.deepEqual(parseIntList('1, 2,5', 'x'), [1, 2, 5]);
    assert.throws(() => parseIntList('1,0', '--steps'), /--steps/);
    assert.throws(() => parseIntList('a', '--steps'), /positive integers/);
  });
});

describe('bench/inputs', () => {
  it('has texts of exactly 8, 20, 40 and 80 words, the long ones with several sentences', () => {
    for (const n of [8, 20, 40, 80]) {
      assert.equal(wordCount(BENCH_TEXTS[n]), n, `text of ${n} words`);
      assert.equal(benchText(n), BENCH_TEXTS[n]);
    }
    assert.ok((BENCH_TEXTS[80].match(/[.?!](\s|$)/g) ?? []).length >= 4);
    assert.ok((BENCH_TEXTS[40].match(/[.?!](\s|$)/g) ?? []).length >= 2);
  });

  it('makes other lengths from the long text', () => {
    assert.equal(wordCount(benchText(33)), 33);
    assert.equal(wordCount(benchText(200)), 200);
    assert.throws(() => benchText(0));
  });
});

describe('bench/args', () => {
  it('parses --key value, --key=value, flags and --no-flags', () => {
    const a = parseArgs(['--model', 'm', '--steps=1,2', '--quick', '--no-ddpm', 'pos'], ['quick', 'ddpm'], ['model', 'steps']);
    assert.equal(str(a, 'model'), 'm');
    assert.equal(str(a, 'steps'), '1,2');
    assert.equal(flag(a, 'quick'), true);
    assert.equal(flag(a, 'ddpm', true), false);
    assert.equal(flag(a, 'other', true), true);
    assert.deepEqual(a.positional, ['pos']);
    assert.equal(num(parseArgs(['--n', '3'], [], ['n']), 'n', 1, { integer: true }), 3);
    assert.throws(() => num(parseArgs(['--n', 'x'], [], ['n']), 'n', 1), /--n/);
    assert.throws(() => num(parseArgs(['--n', '0'], [], ['n']), 'n', 1, { min: 1 }), /≥ 1/);
    assert.throws(() => parseArgs(['--bogus', '1'], [], ['n']), /Unknown option '--bogus'/);
    assert.throws(() => parseArgs(['--n'], [], ['n']), /argument missing/);
  });
});

describe('bench/aggregate', () => {
  it('pools the samples of several rounds', () => {
    const a = config(20, 8, 10, ['default'], [100, 110]);
    const b = { ...config(20, 8, 10, ['default'], [90, 300]), loadMs: 1000, rss: { baselineMiB: 50, afterLoadMiB: 210, peakMiB: 400 } };
    const m = mergeRounds([a, b], 0.5);
    assert.equal(m.wallMs.n, 4);
    assert.equal(m.wallMs.min, 90);
    assert.equal(m.wallMs.max, 300);
    assert.equal(m.wallMs.noisy, true);
    assert.equal(m.rss.peakMiB, 400);
    assert.equal(m.loadMs, 900);
    assert.equal(m.workers, 2);
    assert.deepEqual(m.samples.wallMs, [100, 110, 90, 300]);
    assert.equal(mergeRounds([a], 0.5), a);
    assert.throws(() => mergeRounds([a, config(8, 8, 10, [], [1])], 0.5), /is not/);
  });

  it('judges the overhead at the default configuration and names the worst', () => {
    const v = overheadVerdict([config(20, 8, 10, [], [100], 0.95), config(8, 1, 1, [], [10], 0.6)], 'w20-c8-k10');
    assert.ok(Math.abs(v.atDefault - 0.05) < 1e-9);
    assert.ok(Math.abs(v.worst - 0.4) < 1e-9);
    assert.equal(v.worstId, 'w8-c1-k1');
    assert.equal(v.pass, true);
    assert.equal(overheadVerdict([config(20, 8, 10, [], [100], 0.8)], 'w20-c8-k10').pass, false);
  });
});

describe('bench/schema', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-schema-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the speed and quality sections into one file per date and machine, keeping the other', () => {
    const f1 = writeSection(dir, '2026-11-23', 'test-cpu-2c', speedResult());
    assert.equal(path.basename(f1), '2026-11-23-test-cpu-2c.json');
    const f2 = writeSection(dir, '2026-11-23', 'test-cpu-2c', qualityResult());
    assert.equal(f1, f2);
    const back = readResultFile(f1, '2026-11-23', 'test-cpu-2c');
    assert.equal(back.schemaVersion, SCHEMA_VERSION);
    assert.equal(back.speed?.defaultId, 'w20-c8-k10');
    assert.equal(back.quality?.runs.length, qualityResult().runs.length);
    const s2 = { ...speedResult(), durationS: 1 };
    writeSection(dir, '2026-11-23', 'test-cpu-2c', s2);
    const again = readResultFile(f1, '2026-11-23', 'test-cpu-2c');
    assert.equal(again.speed?.durationS, 1);
    assert.ok(again.quality);
  });

  it('rejects files it cannot read and lists result files newest first', () => {
    assert.throws(() => validateResultFile({ schemaVersion: 99, date: '2026-01-01', machine: 'x' }), /schemaVersion/);
    assert.throws(() => validateResultFile({ schemaVersion: SCHEMA_VERSION, date: 'today', machine: 'x' }), /date/);
    assert.throws(
      () => validateResultFile({ schemaVersion: SCHEMA_VERSION, date: '2026-01-01', machine: 'x', speed: { kind: 'speed' } }),
      /configs/,
    );
    writeSection(dir, '2026-11-22', 'a-2c', speedResult());
    writeSection(dir, '2026-11-23', 'a-2c', speedResult());
    fs.writeFileSync(path.join(dir, '2026-11-24-broken.json'), '{');
    fs.writeFileSync(path.join(dir, 'notes.json'), '{}');
    const warnings: string[] = [];
    const list = listResultFiles(dir, (m) => warnings.push(m));
    assert.deepEqual(
      list.map((x) => x.data.date),
      ['2026-11-23', '2026-11-22'],
    );
    assert.equal(warnings.length, 1);
    assert.deepEqual(listResultFiles(path.join(dir, 'missing')), []);
  });
});

describe('bench/worker warm-up', () => {
  it('runs the asked warm-ups, but only one when it was slow', async () => {
    const { warmUp } = await import('../../bench/worker');
    let clock = 0;
    const now = () => clock;
    let calls = 0;
    assert.equal(
      await warmUp(
        3,
        async () => {
          calls++;
          clock += 10;
        },
        now,
      ),
      3,
    );
    assert.equal(calls, 3);
    calls = 0;
    assert.equal(
      await warmUp(
        3,
        async () => {
          calls++;
          clock += 6000;
        },
        now,
      ),
      1,
    );
    assert.equal(calls, 1);
    assert.equal(
      await warmUp(
        0,
        async () => {
          throw new Error('not called');
        },
        now,
      ),
      0,
    );
  });
});
