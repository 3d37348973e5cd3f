/** "DiffuSeq: Train Model…": Python check, training config, start (new or a package's weights), data folder. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from './log';
import { browseForModelPackage } from './modelPicker';
import { readManifestSummary } from './models';
import { probePython, type ProbeResult } from '../trainer/pythonProbe';
import { TrainingTaskProvider, TrainTaskDefinition, workspaceRoot } from './taskProvider';
import { configName, freshOutDir, TASK_TYPE } from './trainTasks';

export interface TrainWizardEnv {
  tasks: TrainingTaskProvider;
  /** Offered as "Continue from …". */
  activeModelDir: string | undefined;
  log: Log;
  onMissingPython: (p: Extract<ProbeResult, { ok: false }>) => void;
}

/** Runs the wizard and starts the training task; undefined when the user stops at any step. */
export async function trainWizard(env: TrainWizardEnv): Promise<vscode.TaskExecution | undefined> {
  const probe = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'DiffuSeq: checking for Python with PyTorch…' },
    () => probePython(),
  );
  if (!probe.ok) {
    env.onMissingPython(probe);
    return undefined;
  }
  env.log.info(`training: Python ${probe.pythonVersion} (${probe.python}), torch ${probe.torch}, cuda ${probe.cuda}`);
  const folder = vscode.workspace.workspaceFolders?.[0];
  const root = workspaceRoot(folder);
  const configs = await env.tasks.configFiles(root);
  if (configs.length === 0) {
    void vscode.window.showErrorMessage(
      'DiffuSeq: no training configs found (src/trainer/configs/*.json or *.diffuseq.json in the workspace).',
    );
    return undefined;
  }
  const cfg = await vscode.window.showQuickPick(
    configs.map((f) => ({
      label: configName(f),
      description: path.relative(root, f).startsWith('..') ? f : path.relative(root, f),
      file: f,
    })),
    { title: 'DiffuSeq: Train Model (1/3): training config', placeHolder: 'Config' },
  );
  if (!cfg) return undefined;
  // Fine-tuning goes on from a package's weights (train --init); its shape must match the config's.
  const active = env.activeModelDir;
  const starts: (vscode.QuickPickItem & { dir?: string; browse?: boolean })[] = [
    { label: 'New model', description: 'random weights' },
    ...(active
      ? [{ label: `Continue from ${readManifestSummary(active)?.name ?? path.basename(active)}`, description: active, dir: active }]
      : []),
    { label: 'Continue from another model package…', browse: true },
  ];
  const start = await vscode.window.showQuickPick(starts, {
    title: 'DiffuSeq: Train Model (2/3): start from',
    placeHolder: "Continuing needs data prepared with that model's tokenizer (diffuseq prepare --tokenizer MODEL …)",
  });
  if (!start) return undefined;
  let init = start.dir;
  if (start.browse) {
    init = await browseForModelPackage('Continue from This Model');
    if (!init) return undefined;
  }
  const data = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Train on This Data',
    title: `DiffuSeq: Train Model (3/3): prepared data folder (diffuseq prepare${init ? ` --tokenizer ${init}` : ''} --out DIR)`,
    defaultUri: folder?.uri,
  });
  if (!data?.length) return undefined;
  const def: TrainTaskDefinition = {
    type: TASK_TYPE,
    config: cfg.file,
    data: data[0].fsPath,
    out: freshOutDir(cfg.file, root),
    ...(init ? { init } : {}),
  };
  return vscode.tasks.executeTask(env.tasks.build(def, folder ?? vscode.TaskScope.Workspace));
}
