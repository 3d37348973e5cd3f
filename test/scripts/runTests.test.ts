/** scripts/run-tests.js: `npm test`'s closing line adds up the counts of every runner's own summary. */
import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const script = path.join(root, 'scripts', 'run-tests.js');
type Counts = { passed: number; failed: number; skipped: number } | null;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { countsOf, closingLine, STAGES } = require(script) as {
  countsOf: (stage: string, output: string) => Counts;
  closingLine: (results: { code: number; counts: Counts }[]) => string;
  STAGES: string[];
};

describe('scripts/run-tests (npm test summary)', () => {
  it('reads Python unittest: passed = ran − failures − errors − skipped', () => {
    const ok =
      'test_noise (test_noising.T) ... ok\n\n----------------------------------------------------------------------\nRan 49 tests in 31.204s\n\nOK (skipped=2)\n';
    assert.deepEqual(countsOf('test:py', ok), { passed: 47, failed: 0, skipped: 2 });
    const bad = 'Ran 12 tests in 2.0s\n\nFAILED (failures=2, errors=1, skipped=1)\n';
    assert.deepEqual(countsOf('test:py', bad), { passed: 8, failed: 3, skipped: 1 });
  });

  it("reads mocha (colours stripped) and does not take a test's own SKIP line for a skipped stage", () => {
    const out = '    SKIP export parity: no Python with torch\n\x1b[92m  301 passing\x1b[0m (2m)\n  2 pending\n  1 failing\n';
    assert.deepEqual(countsOf('test:unit', out), { passed: 301, failed: 1, skipped: 2 });
    const web = 'code-server integration: 13 passing, 0 failing, 0 pending (61 s)\n';
    assert.deepEqual(countsOf('test:integration:web', web), { passed: 13, failed: 0, skipped: 0 });
  });

  it("reads the end-to-end driver's per-step lines, and a stage skipped whole", () => {
    assert.deepEqual(countsOf('test:e2e', '  open editor … ok (812 ms)\n  rewrite … ok (2211 ms)\n  apply … FAILED\n'), {
      passed: 2,
      failed: 1,
      skipped: 0,
    });
    assert.deepEqual(countsOf('test:e2e', 'SKIP e2e: chromium is missing\n'), { passed: 0, failed: 0, skipped: 1 });
    assert.equal(countsOf('test:unit', 'TypeError: boom\n'), null);
  });

  it('closing line: the plain "N passed, N failed" form; a stage that crashed without counts is one failure', () => {
    const line = closingLine([
      { code: 0, counts: { passed: 47, failed: 0, skipped: 2 } },
      { code: 0, counts: { passed: 301, failed: 0, skipped: 0 } },
      { code: 1, counts: null },
    ]);
    assert.equal(line, 'Tests: 348 passed, 1 failed, 2 skipped');
    assert.match(line, /^\w+: \d+ passed, \d+ failed(, \d+ skipped)?$/);
  });

  it("runs the stages in the README's order and refuses an unknown one with exit 2", () => {
    assert.deepEqual(STAGES, ['build', 'bundle', 'lint', 'lint:py', 'test:py', 'package', 'test:unit', 'test:integration:web', 'test:e2e']);
    const r = cp.spawnSync(process.execPath, [script, '--only', 'test:nope'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown stage test:nope/);
  });
});
