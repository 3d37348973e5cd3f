/**
 * `npm run test:integration:web`: the SAME integration tests (the *.itest.js files) inside code-server's
 * extension host — a real VS Code 1.100 extension host (node), with the workbench in headless chromium.
 * The workbench is opened as an "extension development host" through its URL payload
 * (extensionDevelopmentPath + extensionTestsPath, vscode-remote:// URIs), which is how VS Code's web
 * workbench runs extension tests; the exit code comes back through window.codeAutomationExit.
 *
 * Needs code-server (test/extension/e2e/install-code-server.sh) and chromium; `npm run bundle` first.
 */
import * as fs from 'node:fs';

import * as path from 'node:path';
import { findCodeServer, launchBrowser, makeProfile, REPO_ROOT, skipWithoutBrowserStack, startCodeServer } from '../e2e/codeServer';

async function main(): Promise<number> {
  if (skipWithoutBrowserStack('test:integration:web')) return 0;
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')))
    throw new Error('dist/extension.js is missing: run `npm run bundle` first');
  const t0 = Date.now();
  const bin = findCodeServer();
  const profile = makeProfile({ 'workbench.colorTheme': 'Default Dark Modern' }, 'dsq-itest-web-');
  const workspace = path.join(profile.root, 'workspace');
  fs.mkdirSync(workspace);
  const report = path.join(profile.root, 'report.json');
  const logFile = path.join(profile.root, 'itest.log');
  fs.writeFileSync(logFile, '');
  const server = await startCodeServer(bin, profile, {
    env: { DIFFUSEQ_ITEST_REPORT: report, DIFFUSEQ_ITEST_LOG: logFile, DIFFUSEQ_ITEST_GREP: process.env.DIFFUSEQ_ITEST_GREP ?? '' },
  });
  // Mocha runs in code-server's extension host: echo its output as it comes.
  let printed = 0;
  const echo = () => {
    const text = fs.readFileSync(logFile, 'utf8');
    if (text.length > printed) process.stdout.write(text.slice(printed));
    printed = text.length;
  };
  const tail = setInterval(echo, 500);
  const browser = await launchBrowser();
  let exitCode: number | undefined;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const done = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => {
        resolve(code);
      });
    });
    if (process.env.DIFFUSEQ_WEB_VERBOSE) page.on('console', (m) => console.log(`[browser] ${m.text()}`));
    const authority = `127.0.0.1:${server.port}`;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${REPO_ROOT}`],
      ['extensionTestsPath', `vscode-remote://${authority}${path.join(__dirname, 'index.js')}`],
    ];
    const url = `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>(
      (resolve) => (timer = setTimeout(() => resolve(-1), Number(process.env.DIFFUSEQ_WEB_TIMEOUT_MS ?? 15 * 60_000))),
    );
    exitCode = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (exitCode === -1) console.error('timed out waiting for the tests to finish');
  } finally {
    clearInterval(tail);
    echo();
    await browser.close();
    await server.stop();
  }
  if (fs.existsSync(report)) {
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      passes: number;
      failures: number;
      pending: number;
      tests: Array<{ title: string; state: string; error?: string }>;
    };
    console.log(
      `\ncode-server integration: ${r.passes} passing, ${r.failures} failing, ${r.pending} pending (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
    );
    for (const t of r.tests.filter((x) => x.state === 'failed')) console.log(`FAILED: ${t.title}\n${t.error}`);
    if (r.failures > 0 && !exitCode) exitCode = 1;
  } else {
    console.error(`no test report was written (${report}); code-server output:\n${server.output().slice(-4000)}`);
    exitCode = exitCode || 1;
  }
  if (!process.env.DIFFUSEQ_KEEP_PROFILE) fs.rmSync(profile.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  else console.log(`profile kept at ${profile.root}`);
  return exitCode ?? 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  },
);
