/**
 * `npm run test:integration`: the integration tests inside desktop VS Code (Electron), via
 * @vscode/test-electron. VS Code is taken from VSCODE_EXECUTABLE_PATH (a local install or unpacked build:
 * the download is not reachable in CI); without it, test-electron downloads the current stable release.
 * Needs a display on Linux: run under `xvfb-run -a` when there is none.
 * The extension is loaded from this repository (extensionDevelopmentPath), so `npm run bundle` first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..', '..');
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run bundle` first');
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH || undefined;
  if (!vscodeExecutablePath) console.warn('VSCODE_EXECUTABLE_PATH is not set: @vscode/test-electron will try to download VS Code.');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsq-itest-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  const code = await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'index.js'),
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--user-data-dir',
      path.join(tmp, 'user-data'),
      '--extensions-dir',
      path.join(tmp, 'extensions'),
    ],
    extensionTestsEnv: { DIFFUSEQ_ITEST_REPORT: process.env.DIFFUSEQ_ITEST_REPORT ?? '' },
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = code;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
