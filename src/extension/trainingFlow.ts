/**
 * Training from the editor, around the `diffuseq` tasks (taskProvider.ts): "Train Model…" (trainWizard.ts), the
 * message when no Python with PyTorch is found, and what a finished task offers next — use the package it exported,
 * or export the checkpoint it left.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from './log';
import { readManifestSummary } from './models';
import { INSTALL_LINE, ProbeResult } from '../trainer/pythonProbe';
import { TrainingTaskProvider, TrainTaskDefinition } from './taskProvider';
import { findCheckpoint, findExportedPackage, ResolvedTrain, TASK_TYPE } from './trainTasks';
import { trainWizard } from './trainWizard';

export interface TrainingFlowDeps {
  extensionPath: string;
  log: Log;
  /** The active model folder (offered by the wizard as "Continue from …"). */
  activeModelDir(): string | undefined;
  /** Makes a package the active model ("Use Model" after an export). */
  setActiveModel(dir: string): Promise<void>;
}

export class TrainingFlow {
  readonly tasks: TrainingTaskProvider;
  /** The last "no Python with PyTorch" message shown, if any (tests). */
  lastMissingPython: string | undefined;
  /** The last training/export task process that ended: its run folder and exit code (tests). */
  lastTaskEnd: { action: 'train' | 'export'; out: string; code: number | null } | undefined;

  constructor(private readonly deps: TrainingFlowDeps) {
    this.tasks = new TrainingTaskProvider({
      extensionPath: deps.extensionPath,
      log: deps.log,
      onFinished: (def, resolved, code) => void this.onTaskFinished(def, resolved, code),
      onMissingPython: (p) => void this.showMissingPython(p),
    });
  }

  async showMissingPython(p: Extract<ProbeResult, { ok: false }>): Promise<void> {
    this.deps.log.error(p.message);
    this.lastMissingPython = p.message;
    const choice = await vscode.window.showErrorMessage(`DiffuSeq: ${p.message}`, 'Open Training Guide', 'Copy Install Command');
    if (choice === 'Open Training Guide') await this.openTrainingGuide();
    else if (choice === 'Copy Install Command') await vscode.env.clipboard.writeText(INSTALL_LINE);
  }

  async openTrainingGuide(): Promise<void> {
    const candidates = [
      ...(vscode.workspace.workspaceFolders ?? []).map((f) => path.join(f.uri.fsPath, 'docs', 'training.md')),
      path.join(this.deps.extensionPath, 'docs', 'training.md'),
    ];
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) {
      void vscode.window.showWarningMessage('DiffuSeq: docs/training.md was not found.');
      return;
    }
    const uri = vscode.Uri.file(file);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      await vscode.window.showTextDocument(uri);
    }
  }

  /** "Train Model…": Python check, config pick, start, data folder, run the task (trainWizard.ts). */
  async trainModel(): Promise<vscode.TaskExecution | undefined> {
    return trainWizard({
      tasks: this.tasks,
      activeModelDir: this.deps.activeModelDir(),
      log: this.deps.log,
      onMissingPython: (p) => void this.showMissingPython(p),
    });
  }

  private async onTaskFinished(def: TrainTaskDefinition, resolved: ResolvedTrain, code: number | null): Promise<void> {
    this.lastTaskEnd = { action: def.action ?? 'train', out: resolved.out, code };
    const pkg = findExportedPackage(resolved.out);
    if (pkg) {
      const name = readManifestSummary(pkg)?.name ?? path.basename(pkg);
      const choice = await vscode.window.showInformationMessage(
        `DiffuSeq: model package "${name}" is ready at ${pkg}. Use it as the active model?`,
        'Use Model',
      );
      if (choice === 'Use Model') await this.deps.setActiveModel(pkg);
      return;
    }
    if (def.action === 'export') return;
    const ckpt = findCheckpoint(resolved.out);
    if (!ckpt) return;
    const verb = code === 0 ? 'finished' : 'stopped';
    const choice = await vscode.window.showInformationMessage(
      `DiffuSeq: training ${verb}; checkpoint at ${ckpt}. Export it as a model package?`,
      'Export',
    );
    if (choice !== 'Export') return;
    const exportDef: TrainTaskDefinition = {
      type: TASK_TYPE,
      config: def.config,
      action: 'export',
      checkpoint: ckpt,
      out: path.join(resolved.out, 'package'),
    };
    await vscode.tasks.executeTask(this.tasks.build(exportDef, vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Workspace));
  }

  /** Stops the running training/export processes (deactivation). */
  stopAll(): void {
    this.tasks.stopAll();
  }
}
