#!/usr/bin/env node
'use strict';
/**
 * `npm test`: every test stage in order, then one closing line that adds them up:
 *
 *   Tests: 366 passed, 0 failed, 0 skipped
 *
 * The stages use three runners (Python's unittest, mocha, and the code-server drivers), each with its own
 * summary; without this line a reader — or CI — has to find and add four of them. Build steps (tsc, webpack,
 * vsce) come first and stop the run when they fail, since every later stage tests their output; a failing
 * test stage does not stop the others, so one run reports everything that is broken. The exit code is 1 if
 * any stage failed or exited non-zero.
 *
 *   node scripts/run-tests.js [--only STAGE[,STAGE…]]
 */
const cp = require('child_process');

/** Builds whose output the tests use: a failure here ends the run. */
const BUILD_STAGES = ['build', 'bundle', 'package'];
/** In the README's order: the Python suite before packaging, so a trainer bug shows before a slow vsce run. */
const STAGES = ['build', 'bundle', 'lint', 'lint:py', 'test:py', 'package', 'test:unit', 'test:integration:web', 'test:e2e'];

/**
 * Counts from one stage's output. Returns {passed, failed, skipped} or null when the output has no summary
 * the parser knows (then only the exit code speaks for the stage).
 */
function countsOf(stage, output) {
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  const counts = summaryOf(stage, text);
  // No summary but a SKIP line: the whole stage skipped because a tool is missing (never under CI=true,
  // where that is a failure instead).
  if (counts === null && /^SKIP\b/m.test(text)) return { passed: 0, failed: 0, skipped: 1 };
  return counts;
}

function summaryOf(stage, text) {
  if (stage === 'test:py') {
    const ran = lastMatch(text, /^Ran (\d+) tests? in /m);
    if (ran === null) return null;
    const total = Number(ran[1]);
    const status = lastMatch(text, /^(OK|FAILED)(?: \(([^)]*)\))?\s*$/m);
    const detail = Object.fromEntries(
      ((status && status[2]) || '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.trim().split('='))
        .map(([k, v]) => [k, Number(v)]),
    );
    const failed = (detail.failures || 0) + (detail.errors || 0) + (detail['unexpected successes'] || 0);
    const skipped = (detail.skipped || 0) + (detail['expected failures'] || 0);
    return { passed: total - failed - skipped, failed, skipped };
  }
  if (stage === 'test:e2e') {
    // The end-to-end driver prints "  step name … ok (123 ms)" or "… FAILED" per step.
    const ok = (text.match(/ … ok \(\d+ ms\)$/gm) || []).length;
    const bad = (text.match(/ … FAILED$/gm) || []).length;
    return ok + bad === 0 ? null : { passed: ok, failed: bad, skipped: 0 };
  }
  // mocha's spec reporter ("12 passing (3s)", "1 pending", "2 failing") and the code-server
  // integration driver ("code-server integration: 13 passing, 0 failing, 0 pending").
  const passing = lastMatch(text, /(\d+) passing\b/);
  if (passing === null) return null;
  const failing = lastMatch(text, /(\d+) failing\b/);
  const pending = lastMatch(text, /(\d+) pending\b/);
  return { passed: Number(passing[1]), failed: failing ? Number(failing[1]) : 0, skipped: pending ? Number(pending[1]) : 0 };
}

function lastMatch(text, re) {
  const flags = re.flags.includes('g') ? re.flags : re.flags + 'g';
  let last = null;
  for (const m of text.matchAll(new RegExp(re.source, flags))) last = m;
  return last;
}

/** The closing line: "N passed, N failed, N skipped" with one word and a colon before it. */
function closingLine(results) {
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    const c = r.counts ?? { passed: 0, failed: 0, skipped: 0 };
    sum.passed += c.passed;
    // A stage that exited non-zero with no failure counted (a crash, a build error) still counts as one failure.
    sum.failed += c.failed > 0 || r.code === 0 ? c.failed : 1;
    sum.skipped += c.skipped;
  }
  return `Tests: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`;
}

function runStage(stage) {
  return new Promise((resolve) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const child = cp.spawn(npm, ['run', '--silent', stage], { stdio: ['inherit', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on('error', (e) => {
      output += String(e);
    });
    child.on('close', (code, signal) => resolve({ code: signal ? 1 : (code ?? 1), output }));
  });
}

async function main(argv) {
  const onlyAt = argv.indexOf('--only');
  const stages =
    onlyAt >= 0
      ? String(argv[onlyAt + 1] || '')
          .split(',')
          .filter(Boolean)
      : STAGES;
  const unknown = stages.filter((s) => !STAGES.includes(s));
  if (unknown.length || stages.length === 0) {
    process.stderr.write(`run-tests: unknown stage ${unknown.join(', ') || '(none given)'}; stages: ${STAGES.join(', ')}\n`);
    return 2;
  }
  const results = [];
  for (const stage of stages) {
    process.stdout.write(`\n== npm run ${stage}\n`);
    const t0 = Date.now();
    const { code, output } = await runStage(stage);
    const counts = BUILD_STAGES.includes(stage) ? null : countsOf(stage, output);
    results.push({ stage, code, counts, seconds: (Date.now() - t0) / 1000 });
    if (code !== 0 && BUILD_STAGES.includes(stage)) break;
  }
  process.stdout.write('\n== summary\n');
  for (const r of results) {
    const c = r.counts;
    const what = c ? `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : r.code === 0 ? 'ok' : `exit ${r.code}`;
    process.stdout.write(`  ${r.stage.padEnd(22)} ${what.padEnd(36)} ${r.seconds.toFixed(0)} s${r.code !== 0 ? '  FAILED' : ''}\n`);
  }
  const notRun = stages.slice(results.length);
  if (notRun.length) process.stdout.write(`  not run (a build step failed): ${notRun.join(', ')}\n`);
  process.stdout.write(`${closingLine(results)}\n`);
  return results.some((r) => r.code !== 0) || notRun.length ? 1 : 0;
}

module.exports = { countsOf, closingLine, STAGES };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
