/**
 * Training tasks (task type `diffuseq`): building the definitions and command lines, finding configs,
 * checkpoints and exported packages, and running the CLI so that stopping the task sends SIGINT (the
 * trainer then writes a resumable checkpoint). Plain node, no vscode: taskProvider.ts wraps it.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveWorkspacePath } from './workspacePath';

export const TASK_TYPE = 'diffuseq';

export interface DiffuseqTaskDefinition {
  type: typeof TASK_TYPE;
  /** Training config JSON (src/trainer/configs/*.json or a workspace *.diffuseq.json). */
  config: string;
  /** Prepared data folder (docs/data-format.md); the config's own when omitted. */
  data?: string;
  /** Run folder (checkpoints, logs, export); when omitted runs/<config name>, or -2, -3, … if that holds a checkpoint. */
  out?: string;
  /** A model package to start from (`train --init`): its weights, fresh optimizer; the data must use its tokenizer. */
  init?: string;
}

/** Name of a config without its folder and `.diffuseq.json` / `.json` suffix. */
export function configName(configPath: string): string {
  const base = path.basename(configPath);
  return base.replace(/\.diffuseq\.json$/i, '').replace(/\.json$/i, '');
}

export function defaultOutDir(configPath: string, workspaceRoot: string): string {
  return path.join(workspaceRoot, 'runs', configName(configPath));
}

/**
 * The run folder for a new run of a config: runs/<config>, or runs/<config>-2, -3, … when the earlier ones hold a
 * checkpoint. A fixed folder made a second run replace the first one's checkpoint (the trainer now refuses that).
 */
export function freshOutDir(
  configPath: string,
  workspaceRoot: string,
  hasCheckpoint: (dir: string) => boolean = (d) => findCheckpoint(d) !== undefined,
): string {
  const base = defaultOutDir(configPath, workspaceRoot);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (!hasCheckpoint(dir)) return dir;
  }
}

export function taskLabel(def: DiffuseqTaskDefinition): string {
  const parts = [`train ${configName(def.config)}`];
  if (def.init) parts.push(`from ${path.basename(def.init)}`);
  if (def.data) parts.push(`on ${path.basename(def.data)}`);
  return parts.join(' ');
}

export interface ResolvedTrain {
  config: string;
  data?: string;
  out: string;
  init?: string;
}

export function resolveDefinition(def: DiffuseqTaskDefinition, workspaceRoot: string): ResolvedTrain {
  const config = resolveWorkspacePath(def.config, workspaceRoot);
  return {
    config,
    data: def.data ? resolveWorkspacePath(def.data, workspaceRoot) : undefined,
    out: def.out ? resolveWorkspacePath(def.out, workspaceRoot) : freshOutDir(config, workspaceRoot),
    ...(def.init ? { init: resolveWorkspacePath(def.init, workspaceRoot) } : {}),
  };
}

/** Arguments of the CLI after its script: `train --config C [--data D] --out O [--init PKG]`. */
export function trainArgs(r: ResolvedTrain): string[] {
  const args = ['train', '--config', r.config];
  if (r.data) args.push('--data', r.data);
  args.push('--out', r.out);
  if (r.init) args.push('--init', r.init);
  return args;
}

export function exportArgs(checkpoint: string, out: string): string[] {
  return ['export', '--checkpoint', checkpoint, '--out', out];
}

/** Definitions for every config file, relative to the workspace root when inside it. */
export function definitionsFor(configFiles: string[], workspaceRoot: string): DiffuseqTaskDefinition[] {
  return configFiles.map((file) => {
    const rel = path.relative(workspaceRoot, file);
    const config = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? '${workspaceFolder}/' + rel.split(path.sep).join('/') : file;
    return { type: TASK_TYPE, config };
  });
}

/** `*.json` directly in the trainer's configs folder (sorted). */
export function listTrainerConfigs(configsDir: string): string[] {
  try {
    return fs
      .readdirSync(configsDir)
      .filter((n) => n.toLowerCase().endsWith('.json'))
      .sort()
      .map((n) => path.join(configsDir, n));
  } catch {
    return [];
  }
}

/**
 * The CLI to run: the first existing script of `scripts` (the workspace's bin/diffuseq.js, the
 * extension's own), run with the extension host's node (process.execPath; inside Electron with
 * ELECTRON_RUN_AS_NODE=1) so no `node` on PATH is needed; else a `diffuseq` command on PATH
 * (`npm install -g` of this package).
 */
export function resolveCli(
  scripts: string[],
  exists: (p: string) => boolean = fs.existsSync,
  runtime: { execPath: string; electron: boolean } = { execPath: process.execPath, electron: !!process.versions.electron },
  pathCommand: string | undefined = findOnPath('diffuseq'),
): { command: string; args: string[]; env: Record<string, string> } | undefined {
  const script = scripts.find((c) => exists(c));
  if (script) return { command: runtime.execPath, args: [script], env: runtime.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {} };
  if (pathCommand) return { command: pathCommand, args: [], env: {} };
  return undefined;
}

/** An executable on PATH (with PATHEXT on Windows), or undefined. */
export function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const d of dirs) {
    for (const e of exts) {
      const f = path.join(d, name + e);
      try {
        if (fs.statSync(f).isFile()) return f;
      } catch {
        /* next */
      }
    }
  }
  return undefined;
}

/** A folder holding manifest.json in `out` or up to two levels below it (newest first). */
export function findExportedPackage(out: string): string | undefined {
  const found: Array<{ dir: string; mtime: number }> = [];
  const visit = (dir: string, depth: number) => {
    const m = path.join(dir, 'manifest.json');
    try {
      const st = fs.statSync(m);
      found.push({ dir, mtime: st.mtimeMs });
    } catch {
      /* not a package */
    }
    if (depth === 0) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) visit(path.join(dir, e.name), depth - 1);
  };
  visit(out, 2);
  found.sort((a, b) => b.mtime - a.mtime);
  return found[0]?.dir;
}

/** The checkpoint to export: RUN/weights.pt (small) or RUN/ckpt.pt (docs/CONTRACTS.md). */
export function findCheckpoint(out: string): string | undefined {
  for (const n of ['weights.pt', 'ckpt.pt']) {
    const p = path.join(out, n);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export interface RunnerEvents {
  /** Output chunk, with line ends as in the process output. */
  output(text: string, stream: 'stdout' | 'stderr'): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * Runs the CLI as a child process. `stop()` sends SIGINT (the trainer checkpoints and exits 130), then
 * SIGTERM after `graceMs`, then SIGKILL after another `graceMs`.
 */
export class TrainRunner {
  private child: ChildProcess | undefined;
  private timers: NodeJS.Timeout[] = [];
  stopRequested = false;

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly options: { cwd: string; env: NodeJS.ProcessEnv; graceMs?: number },
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(events: RunnerEvents): void {
    const child = spawn(this.command, this.args, {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => events.output(b.toString('utf8'), 'stdout'));
    child.stderr?.on('data', (b: Buffer) => events.output(b.toString('utf8'), 'stderr'));
    child.on('error', (e) => {
      events.output(`\nCould not start ${this.command}: ${e.message}\n`, 'stderr');
    });
    child.on('close', (code, signal) => {
      this.timers.forEach(clearTimeout);
      this.timers = [];
      this.child = undefined;
      events.exit(code, signal);
    });
  }

  /** SIGINT now; escalates if the process is still there after the grace periods. */
  stop(): void {
    const child = this.child;
    if (!child) return;
    const grace = this.options.graceMs ?? 120_000;
    if (this.stopRequested) {
      // A second stop (Ctrl+C twice): go straight to SIGTERM.
      child.kill('SIGTERM');
      return;
    }
    this.stopRequested = true;
    child.kill('SIGINT');
    this.timers.push(
      setTimeout(() => this.child?.kill('SIGTERM'), grace),
      setTimeout(() => this.child?.kill('SIGKILL'), grace * 2),
    );
  }
}

/** Pseudoterminals want CRLF. */
export function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
