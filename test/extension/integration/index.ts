/**
 * Runs inside a VS Code extension host (--extensionTestsPath): loads every *.itest.js next to this file
 * into mocha. Used by both runners: runTests.ts (desktop VS Code via @vscode/test-electron) and
 * runWeb.ts (code-server's extension host, driven from a headless chromium).
 * With DIFFUSEQ_ITEST_REPORT set, also writes a JSON report there (the web runner reads it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { itestWrite } from './itestLog';

/** Mocha's reporters print through Base.consoleLog: also send that to DIFFUSEQ_ITEST_LOG. */
function teeReporter(): void {
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  const orig = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => {
    itestWrite(...args);
    orig(...args);
  };
}

export async function run(): Promise<void> {
  if (process.env.DIFFUSEQ_ITEST_LOG) teeReporter();
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180_000, reporter: 'spec' });
  const grep = process.env.DIFFUSEQ_ITEST_GREP;
  if (grep) mocha.grep(grep);
  for (const f of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.itest.js'))
    .sort())
    mocha.addFile(path.join(__dirname, f));
  const report: {
    tests: Array<{ title: string; state: string; ms?: number; error?: string }>;
    passes: number;
    failures: number;
    pending: number;
  } = {
    tests: [],
    passes: 0,
    failures: 0,
    pending: 0,
  };
  const reportFile = process.env.DIFFUSEQ_ITEST_REPORT;
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (reportFile) fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      report.passes++;
      report.tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration });
    });
    runner.on('fail', (t, err: Error) => {
      report.failures++;
      report.tests.push({ title: t.fullTitle(), state: 'failed', error: `${err.message}\n${err.stack ?? ''}` });
    });
    runner.on('pending', (t) => {
      report.pending++;
      report.tests.push({ title: t.fullTitle(), state: 'pending' });
    });
  });
}
