/**
 * DiffuSeq Rewrite — VS Code entry point. Activation is lazy (the commands and the `diffuseq` task type)
 * and cheap: it registers commands and reads settings; the engine process starts on the first rewrite.
 */
// First: the clock starts before the other imports evaluate (loadClock.ts says why).
import { moduleLoadedAt } from './loadClock';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Task } from '../engine';
import { CODE_ACTION_KIND, rewriteActionsFor } from './codeActions';
import { CycleController } from './cycle';
import type { CycleState } from './cycleCandidates';
import { EngineClient } from './engineClient';
import type { HostLoadOptions, ModelInfo } from './engineProtocol';
import { Log } from './log';
import { pickModelPackage } from './modelPicker';
import { listModelPackages, modelPathProblem, readManifestSummary, resolveActiveModel } from './models';
import { CandidatesPanel } from './panel';
import type { PanelState } from './panelState';
import { RewriteController, RunOutcome } from './rewrite';
import { readSettings, Settings } from './settings';
import { ModelStatusBar } from './statusBar';
import { TrainingFlow } from './trainingFlow';
import { TASK_TYPE } from './trainTasks';
import { resolveSettingPath } from './workspacePath';

const ACTIVE_MODEL_KEY = 'diffuseq.activeModel';

/** What activate() returns: used by the integration tests (and nothing else). */
export interface DiffuSeqApi {
  /** Milliseconds from this module's first line to the end of activate() (includes VS Code's own preparation in between). */
  activationMs: number;
  /** The parts: evaluating this module, VS Code preparing the ExtensionContext, activate() itself (ms). */
  activation: { moduleMs: number; contextMs: number; activateMs: number };
  panelState(): PanelState | undefined;
  lastOutcome(): RunOutcome | undefined;
  engine(): { pid: number | undefined; starts: number; model: ModelInfo | undefined } | undefined;
  activeModel(): string | undefined;
  /** Kills the engine process (tests of the crash/restart path). */
  killEngine(signal?: NodeJS.Signals): boolean;
  applyCandidate(item: number, candidate: number): Promise<boolean>;
  /** Cancels the running rewrite (what the notification's Cancel button does). */
  cancel(): void;
  /** What "Re-run" does after a refused apply. */
  rerun(): Promise<RunOutcome | undefined>;
  /** The last "no Python with PyTorch" message shown, if any. */
  lastMissingPython(): string | undefined;
  /** The last training/export task process that ended: its run folder and exit code. */
  lastTaskEnd(): { action: 'train' | 'export'; out: string; code: number | null } | undefined;
  /** The in-place cycling session's state, while one runs. */
  cycleState(): CycleState | undefined;
}

class DiffuSeqExtension implements vscode.Disposable {
  readonly log = new Log();
  private client: EngineClient | undefined;
  private panel_: CandidatesPanel | undefined;
  readonly rewrite: RewriteController;
  readonly training: TrainingFlow;
  readonly cycle: CycleController;
  private readonly status: ModelStatusBar;
  private readonly disposables: vscode.Disposable[] = [];
  private busy = false;
  /** The last model load that failed (the status bar says so instead of naming the engine's previous model). */
  private loadError: { dir: string; message: string } | undefined;
  /** The diffuseq.modelPath value last warned about (once per value). */
  private warnedModelPath: string | undefined;

  constructor(private readonly ctx: vscode.ExtensionContext) {
    this.status = new ModelStatusBar();
    this.rewrite = new RewriteController({
      log: this.log,
      panel: () => this.panel(),
      ensureEngine: (s, report) => this.ensureEngine(s, report),
      onBusy: (busy, fraction) => this.setBusy(busy, fraction),
      showError: (m, e) => this.showError(m, e),
    });
    this.disposables.push(this.rewrite);
    this.cycle = new CycleController(this.rewrite, this.log);
    this.training = new TrainingFlow({
      extensionPath: ctx.extensionPath,
      log: this.log,
      activeModelDir: () => this.activeModelDir(),
      setActiveModel: (dir) => this.setActiveModel(dir),
    });
    this.updateStatus();
  }

  panel(): CandidatesPanel {
    if (!this.panel_) {
      this.panel_ = new CandidatesPanel(this.ctx.extensionUri, {
        apply: (i, c) => void this.rewrite.applyCandidate(i, c),
        copy: (i, c) => void this.rewrite.copyCandidate(i, c),
        applyMix: (i) => void this.rewrite.applyMix(i),
        regenerate: () => void this.rewrite.regenerate(),
        moreSteps: () => void this.rewrite.moreSteps(),
        rerun: () => void this.rewrite.rerun(),
        cancel: () => this.rewrite.cancel(),
      });
      this.disposables.push(this.panel_);
    }
    return this.panel_;
  }

  settings(): Settings {
    const c = vscode.workspace.getConfiguration('diffuseq');
    return readSettings((k) => c.get(k));
  }

  bundledModelsDir(): string {
    return path.join(this.ctx.extensionPath, 'models');
  }

  activeModelDir(): string | undefined {
    const s = this.settings();
    return resolveActiveModel(
      this.bundledModelsDir(),
      this.resolveUserPath(s.modelPath),
      this.ctx.globalState.get<string>(ACTIVE_MODEL_KEY),
    );
  }

  private resolveUserPath(p: string): string {
    return resolveSettingPath(p, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  }

  private hostPath(): string {
    // The bundle ships dist/engineHost.js; a tsc-only development build runs out/src/extension/engineHostMain.js.
    const bundled = path.join(this.ctx.extensionPath, 'dist', 'engineHost.js');
    return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'engineHostMain.js');
  }

  private getClient(): EngineClient {
    if (!this.client) {
      this.client = new EngineClient({
        hostPath: this.hostPath(),
        // ELECTRON_RUN_AS_NODE: inside desktop VS Code, fork runs the Electron binary as plain node.
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ORT_DISABLE_TELEMETRY: '1' },
        // DIFFUSEQ_ENGINE_INSPECT=PORT: the engine process listens for a debugger (see .vscode/launch.json).
        execArgv: process.env.DIFFUSEQ_ENGINE_INSPECT ? [`--inspect=${process.env.DIFFUSEQ_ENGINE_INSPECT}`] : [],
        log: (line) => this.log.info(line),
        onCrash: (e) => {
          this.log.error(`${e.message}${e.stderrTail ? `\n${e.stderrTail}` : ''}`);
          this.updateStatus();
        },
      });
    }
    return this.client;
  }

  async ensureEngine(s: Settings, report: (label: string) => void): Promise<{ client: EngineClient; model: ModelInfo }> {
    const dir = this.activeModelDir();
    if (!dir) {
      throw new Error(
        `no model package found (looked in ${this.bundledModelsDir()}${s.modelPath ? ` and ${s.modelPath}` : ''}). Set "diffuseq.modelPath" or run "DiffuSeq: Select Model…".`,
      );
    }
    this.warnModelPath(s.modelPath);
    const client = this.getClient();
    const opts: HostLoadOptions = { executionProvider: s.executionProvider };
    if (!client.isLoaded(dir, opts) || !client.model) {
      const crashed = client.lastCrash;
      const summary = readManifestSummary(dir);
      report(crashed ? 'Restarting the engine after a crash…' : `Loading model ${summary?.name ?? path.basename(dir)}…`);
      const t0 = Date.now();
      let model: ModelInfo;
      try {
        model = await client.load(dir, opts);
        this.loadError = undefined;
      } catch (e) {
        this.loadError = { dir, message: e instanceof Error ? e.message : String(e) };
        this.updateStatus();
        throw e;
      }
      this.log.info(`model "${model.name}" ready in ${Date.now() - t0} ms on ${model.executionProvider} (engine pid ${client.pid})`);
      if (crashed) void vscode.window.showInformationMessage('DiffuSeq: the engine process was restarted after a crash.');
      this.updateStatus();
    }
    return { client, model: client.model! };
  }

  /** A diffuseq.modelPath that names no model: said once (log and notification), not a silent fallback. */
  private warnModelPath(modelPath: string): void {
    const problem = modelPathProblem(this.resolveUserPath(modelPath));
    if (!problem || this.warnedModelPath === modelPath) return;
    this.warnedModelPath = modelPath;
    this.log.warn(problem);
    void vscode.window.showWarningMessage(`DiffuSeq: ${problem}.`);
  }

  setBusy(busy: boolean, fraction?: number): void {
    this.busy = busy;
    this.updateStatus(fraction);
  }

  updateStatus(fraction?: number): void {
    this.status.show({
      dir: this.activeModelDir(),
      engineModel: this.client?.model,
      enginePid: this.client?.pid,
      loadError: this.loadError,
      busy: this.busy,
      fraction,
    });
  }

  showError(message: string, error?: unknown): void {
    this.log.error(message, error);
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.log.show();
    });
  }

  async selectModel(): Promise<void> {
    const entries = listModelPackages(this.bundledModelsDir(), this.resolveUserPath(this.settings().modelPath));
    const dir = await pickModelPackage(entries, this.activeModelDir());
    if (dir) await this.setActiveModel(dir);
  }

  async setActiveModel(dir: string): Promise<void> {
    await this.ctx.globalState.update(ACTIVE_MODEL_KEY, dir);
    this.log.info(`active model: ${dir}`);
    this.updateStatus();
    const name = readManifestSummary(dir)?.name ?? path.basename(dir);
    void vscode.window.setStatusBarMessage(`DiffuSeq: using model ${name}`, 4000);
  }

  register(): void {
    const reg = (id: string, fn: (...a: unknown[]) => unknown) => this.disposables.push(vscode.commands.registerCommand(id, fn));
    const rewrite = (task: Task) => () => this.rewrite.rewriteSelections(task);
    reg('diffuseq.paraphrase', rewrite('paraphrase'));
    reg('diffuseq.simplify', rewrite('simplify'));
    reg('diffuseq.showCandidates', () => {
      if (!this.panel_?.state) {
        void vscode.window.showInformationMessage('DiffuSeq: no candidates yet. Select text and run "DiffuSeq: Paraphrase Selection".');
        return;
      }
      this.panel().show(true);
    });
    reg('diffuseq.selectModel', () => this.selectModel());
    reg('diffuseq.trainModel', () => this.training.trainModel());
    reg('diffuseq.showLog', () => this.log.show());
    reg('diffuseq.nextCandidate', () => this.cycle.step(1));
    reg('diffuseq.previousCandidate', () => this.cycle.step(-1));
    reg('diffuseq.restoreOriginal', () => this.cycle.restoreOriginal());
    const kind = vscode.CodeActionKind.Empty.append(CODE_ACTION_KIND);
    this.disposables.push(
      vscode.languages.registerCodeActionsProvider(
        '*',
        {
          provideCodeActions: (doc, range) =>
            range.isEmpty
              ? []
              : rewriteActionsFor(doc.getText(range)).map((a) => {
                  const action = new vscode.CodeAction(a.title, kind);
                  action.command = { command: a.command, title: a.title };
                  return action;
                }),
        },
        { providedCodeActionKinds: [kind] },
      ),
      this.cycle,
    );
    this.disposables.push(
      vscode.tasks.registerTaskProvider(TASK_TYPE, this.training.tasks),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('diffuseq')) this.updateStatus();
      }),
      this.status,
      this.log,
    );
  }

  api(activationMs: number, activation: DiffuSeqApi['activation']): DiffuSeqApi {
    return {
      activationMs,
      activation,
      panelState: () => this.panel_?.state,
      lastOutcome: () => this.rewrite.lastOutcome,
      engine: () => (this.client ? { pid: this.client.pid, starts: this.client.starts, model: this.client.model } : undefined),
      activeModel: () => this.activeModelDir(),
      killEngine: (signal = 'SIGKILL') => {
        const pid = this.client?.pid;
        if (!pid) return false;
        process.kill(pid, signal);
        return true;
      },
      applyCandidate: (i, c) => this.rewrite.applyCandidate(i, c),
      cancel: () => this.rewrite.cancel(),
      rerun: () => this.rewrite.rerun(),
      lastMissingPython: () => this.training.lastMissingPython,
      lastTaskEnd: () => this.training.lastTaskEnd,
      cycleState: () => this.cycle.current,
    };
  }

  async shutdown(): Promise<void> {
    this.rewrite.cancel();
    this.training.stopAll();
    await this.client?.dispose();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

let instance: DiffuSeqExtension | undefined;

export function activate(ctx: vscode.ExtensionContext): DiffuSeqApi {
  const t0 = performance.now();
  const ext = new DiffuSeqExtension(ctx);
  instance = ext;
  ext.register();
  ctx.subscriptions.push(ext);
  const end = performance.now();
  const activationMs = end - moduleLoadedAt;
  ext.log.info(
    `activated in ${activationMs.toFixed(1)} ms: module evaluation ${(moduleEvaluatedAt - moduleLoadedAt).toFixed(1)} ms, ` +
      `VS Code preparing the extension context ${(t0 - moduleEvaluatedAt).toFixed(1)} ms, activate() ${(end - t0).toFixed(1)} ms; the engine is not started`,
  );
  return ext.api(activationMs, { moduleMs: moduleEvaluatedAt - moduleLoadedAt, contextMs: t0 - moduleEvaluatedAt, activateMs: end - t0 });
}

export async function deactivate(): Promise<void> {
  await instance?.shutdown();
  instance = undefined;
}

/** Last statement of the module: everything above (imports included) has been evaluated. */
const moduleEvaluatedAt = performance.now();
