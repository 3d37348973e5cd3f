/**
 * Task type `diffuseq`: one training task per trainer config (the extension's/workspace's
 * src/trainer/configs/*.json and any *.diffuseq.json in the workspace), plus tasks.json entries.
 *
 * The tasks use a CustomExecution (a pseudoterminal around a child process) rather than a
 * ProcessExecution: terminating a ProcessExecution task closes its pty, which sends SIGHUP, while the
 * trainer checkpoints on SIGINT. Here stopping the task, or Ctrl+C in its terminal, sends SIGINT and the
 * process gets time to write its checkpoint (docs/extension.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeExit } from '../common/commandLine';
import { Log } from './log';
import { probePython, ProbeResult } from '../trainer/pythonProbe';
import {
  definitionsFor,
  DiffuseqTaskDefinition,
  exportArgs,
  listTrainerConfigs,
  resolveCli,
  resolveDefinition,
  ResolvedTrain,
  taskLabel,
  TASK_TYPE,
  toTerminal,
  trainArgs,
  TrainRunner,
} from './trainTasks';

export interface TrainTaskDefinition extends DiffuseqTaskDefinition {
  /** 'train' (default) or 'export' (export `checkpoint` to `out`). */
  action?: 'train' | 'export';
  checkpoint?: string;
}

export interface TaskDeps {
  extensionPath: string;
  log: Log;
  /** Called when a task's process has ended (not when it could not start). */
  onFinished(def: TrainTaskDefinition, resolved: ResolvedTrain, code: number | null): void;
  onMissingPython(probe: Extract<ProbeResult, { ok: false }>): void;
  /** Replaceable for tests. */
  probe?: () => Promise<ProbeResult>;
}

const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export function workspaceRoot(scope?: vscode.WorkspaceFolder | vscode.TaskScope): string {
  if (scope && typeof scope === 'object') return scope.uri.fsPath;
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.join(os.homedir(), 'diffuseq');
}

export class TrainingTaskProvider implements vscode.TaskProvider {
  private readonly runners = new Set<TrainRunner>();

  constructor(private readonly deps: TaskDeps) {}

  /** Trainer config folders: the workspace's src/trainer/configs (when it is this project), then the extension's. */
  configDirs(root: string): string[] {
    const dirs = [path.join(root, 'src', 'trainer', 'configs'), path.join(this.deps.extensionPath, 'src', 'trainer', 'configs')];
    return [...new Set(dirs.map((d) => path.resolve(d)))];
  }

  async configFiles(root: string): Promise<string[]> {
    const byName = new Map<string, string>();
    for (const dir of this.configDirs(root)) {
      for (const f of listTrainerConfigs(dir)) if (!byName.has(path.basename(f))) byName.set(path.basename(f), f);
    }
    const files = [...byName.values()];
    if (vscode.workspace.workspaceFolders?.length) {
      const found = await vscode.workspace.findFiles('**/*.diffuseq.json', '**/node_modules/**', 200);
      files.push(...found.map((u) => u.fsPath).sort());
    }
    return [...new Set(files)];
  }

  async provideTasks(): Promise<vscode.Task[]> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const root = workspaceRoot(folder);
    const defs = definitionsFor(await this.configFiles(root), root);
    return defs.map((d) => this.build(d, folder ?? vscode.TaskScope.Workspace));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as TrainTaskDefinition;
    if (def.type !== TASK_TYPE || typeof def.config !== 'string' || !def.config) return undefined;
    // Keep the definition object: VS Code matches resolved tasks to tasks.json entries by it.
    return this.build(def, task.scope ?? vscode.TaskScope.Workspace, task.name);
  }

  build(def: TrainTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope, name?: string): vscode.Task {
    const label = name ?? (def.action === 'export' ? `export ${path.basename(def.out ?? 'package')}` : taskLabel(def));
    const task = new vscode.Task(
      def,
      scope,
      label,
      'diffuseq',
      new vscode.CustomExecution(async (resolvedDef) => {
        const d = resolvedDef as TrainTaskDefinition;
        const root = workspaceRoot(typeof scope === 'object' ? scope : undefined);
        return new TrainPty(this, d, root);
      }),
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    task.detail =
      def.action === 'export'
        ? `diffuseq export → ${def.out}`
        : `diffuseq train --config ${def.config}${def.data ? ` --data ${def.data}` : ''}`;
    return task;
  }

  cliCandidates(root: string): string[] {
    const ext = this.deps.extensionPath;
    return [path.join(root, 'bin', 'diffuseq.js'), path.join(ext, 'bin', 'diffuseq.js')].filter((p, i, a) => a.indexOf(p) === i);
  }

  /** @internal used by TrainPty */
  deps_(): TaskDeps {
    return this.deps;
  }

  /** @internal */
  track(r: TrainRunner, on: boolean): void {
    if (on) this.runners.add(r);
    else this.runners.delete(r);
  }

  /** Deactivation: SIGINT to every running trainer so each writes its checkpoint. */
  stopAll(): void {
    for (const r of this.runners) r.stop();
  }
}

class TrainPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private runner: TrainRunner | undefined;
  private closed = false;

  constructor(
    private readonly provider: TrainingTaskProvider,
    private readonly def: TrainTaskDefinition,
    private readonly root: string,
  ) {}

  private write(s: string): void {
    if (!this.closed) this.writeEmitter.fire(toTerminal(s));
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closeEmitter.fire(code);
    this.closed = true;
  }

  open(): void {
    void this.start().catch((e) => {
      this.write(`${RED}${e instanceof Error ? e.message : String(e)}${RESET}\n`);
      this.finish(1);
    });
  }

  private async start(): Promise<void> {
    const deps = this.provider.deps_();
    const resolved = resolveDefinition(this.def, this.root);
    const exporting = this.def.action === 'export';
    this.write(`${DIM}Checking for Python with PyTorch…${RESET}\n`);
    const probe = await (deps.probe ?? (() => probePython()))();
    if (!probe.ok) {
      this.write(`${RED}${probe.message}${RESET}\n`);
      deps.onMissingPython(probe);
      this.finish(2);
      return;
    }
    this.write(
      `${DIM}Python ${probe.pythonVersion} (${probe.python}) with torch ${probe.torch}${probe.cuda ? ', CUDA available' : ', CPU only'}${RESET}\n`,
    );
    const cli = resolveCli(this.provider.cliCandidates(this.root));
    if (!cli) {
      this.write(
        `${RED}The diffuseq CLI was not found (looked for ${this.provider.cliCandidates(this.root).join(', ')} and \`diffuseq\` on PATH). ` +
          `Open the DiffuSeq Rewrite repository as the workspace (npm run build), or install the CLI with npm install -g.${RESET}\n`,
      );
      this.finish(1);
      return;
    }
    const args = exporting ? exportArgs(this.def.checkpoint ?? '', resolved.out) : trainArgs(resolved);
    if (!exporting) fs.mkdirSync(resolved.out, { recursive: true });
    this.write(`> diffuseq ${args.join(' ')}\n`);
    this.write(`${DIM}(Ctrl+C here or "Terminate Task" sends SIGINT: the trainer writes a resumable checkpoint, then stops.)${RESET}\n\n`);
    deps.log.info(`task: ${cli.command} ${[...cli.args, ...args].join(' ')} (cwd ${this.root})`);
    const runner = new TrainRunner(cli.command, [...cli.args, ...args], {
      cwd: this.root,
      env: { ...process.env, ...cli.env, PYTHONUNBUFFERED: '1', DIFFUSEQ_PYTHON: process.env.DIFFUSEQ_PYTHON ?? probe.python },
    });
    this.runner = runner;
    this.provider.track(runner, true);
    runner.start({
      output: (text) => this.write(text),
      exit: (code, signal) => {
        this.provider.track(runner, false);
        const how = describeExit(code, signal);
        this.write(`\n${DIM}diffuseq ${exporting ? 'export' : 'train'} ${how}.${RESET}\n`);
        deps.log.info(`task ${how}: diffuseq ${args.join(' ')}`);
        this.finish(code ?? 1);
        deps.onFinished(this.def, resolved, code);
      },
    });
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.runner) {
      this.write(`^C\n${DIM}Stopping: SIGINT sent, waiting for the checkpoint…${RESET}\n`);
      this.runner.stop();
    }
  }

  close(): void {
    // The task was terminated or its terminal closed: the process still gets its SIGINT and grace time.
    this.runner?.stop();
    this.closed = true;
  }
}
