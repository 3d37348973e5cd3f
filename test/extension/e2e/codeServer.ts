/**
 * Helpers for the browser-driven tests: find and start code-server (the VS Code server + web workbench,
 * installed by install-code-server.sh), install a .vsix into it, and launch Debian's chromium with
 * playwright-core. No VS Code desktop, no browser download.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export function findCodeServer(): string {
  const candidates = [
    process.env.CODE_SERVER_BIN,
    '/opt/code-server/node_modules/.bin/code-server',
    ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'code-server')),
  ].filter((c): c is string => !!c);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(
      'code-server not found. Install it with `sh test/extension/e2e/install-code-server.sh /opt/code-server` or set CODE_SERVER_BIN.',
    );
  }
  return found;
}

/**
 * The browser-driven suites need code-server and chromium. Outside CI a machine without them skips the
 * suite with one line naming the install steps (exit 0); under CI=true a missing piece is a failure,
 * so CI can never pass by skipping.
 */
export function skipWithoutBrowserStack(suite: string): boolean {
  const missing: string[] = [];
  try {
    findCodeServer();
  } catch {
    missing.push('code-server (sh test/extension/e2e/install-code-server.sh /opt/code-server)');
  }
  try {
    findChromium();
  } catch {
    missing.push('chromium (apt-get install chromium)');
  }
  if (missing.length === 0) return false;
  const msg = `${suite}: missing ${missing.join(' and ')}; see docs/extension.md, "CI setup"`;
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) throw new Error(`${msg} (CI=true: not skipping)`);
  console.log(`SKIP ${msg}`);
  return true;
}

export function findChromium(): string {
  const c = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => !!x);
  const found = c.find((x) => fs.existsSync(x));
  if (!found) throw new Error('chromium not found: apt-get install chromium, or set CHROMIUM_BIN.');
  return found;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(String(stdout) + String(stderr));
    });
  });
}

export interface Profile {
  root: string;
  userDataDir: string;
  extensionsDir: string;
}

/** A fresh user-data and extensions folder with the given user settings. */
export function makeProfile(settings: Record<string, unknown>, prefix = 'dsq-cs-'): Profile {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const userDataDir = path.join(root, 'data');
  const extensionsDir = path.join(root, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  writeSettings({ root, userDataDir, extensionsDir }, settings);
  return { root, userDataDir, extensionsDir };
}

export function writeSettings(p: Profile, settings: Record<string, unknown>): void {
  const base = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'window.commandCenter': false,
    'editor.minimap.enabled': false,
    'chat.commandCenter.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'git.enabled': false,
    'files.autoSave': 'off',
  };
  fs.writeFileSync(path.join(p.userDataDir, 'User', 'settings.json'), JSON.stringify({ ...base, ...settings }, null, 2));
}

export async function installVsix(bin: string, vsix: string, p: Profile): Promise<{ ms: number; output: string }> {
  const t0 = Date.now();
  const output = await run(bin, ['--user-data-dir', p.userDataDir, '--extensions-dir', p.extensionsDir, '--install-extension', vsix]);
  return { ms: Date.now() - t0, output };
}

export interface RunningCodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startCodeServer(
  bin: string,
  p: Profile,
  opts: { env?: NodeJS.ProcessEnv; folder?: string; extraArgs?: string[] } = {},
): Promise<RunningCodeServer> {
  const port = await freePort();
  const args = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    p.userDataDir,
    '--extensions-dir',
    p.extensionsDir,
    ...(opts.extraArgs ?? []),
  ];
  if (opts.folder) args.push(opts.folder);
  let out = '';
  const child = spawn(bin, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}/`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${out}`);
    try {
      const r = await fetch(`${url}healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() - t0 > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`code-server did not start in 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    process: child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Files under `dir` whose name matches `re` (recursive). */
export function findFiles(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (re.test(e.name)) out.push(f);
    }
  };
  walk(dir);
  return out;
}

/** The model package the browser tests use when the .vsix has no models/default. */
export async function testModelDir(): Promise<string | undefined> {
  if (process.env.DIFFUSEQ_TEST_MODEL) return process.env.DIFFUSEQ_TEST_MODEL;
  const def = path.join(REPO_ROOT, 'models', 'default');
  if (fs.existsSync(path.join(def, 'manifest.json'))) return def;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { testModel } = require('../../cli/testModel') as typeof import('../../cli/testModel');
  return testModel();
}
