/** The model package pickers: "Select Model…" and the "continue from another package" step of Train Model…. */
import * as vscode from 'vscode';
import { readManifestSummary, type ModelPackageEntry } from './models';

/** An open-folder dialog for a model package; undefined when cancelled or not a package (the user is told). */
export async function browseForModelPackage(openLabel: string): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel,
    title: 'Model package folder (with manifest.json)',
  });
  if (!uris?.length) return undefined;
  const dir = uris[0].fsPath;
  if (!readManifestSummary(dir)) {
    void vscode.window.showErrorMessage(`DiffuSeq: ${dir} is not a model package (no manifest.json).`);
    return undefined;
  }
  return dir;
}

/** "Select Model…": the packages found (the active one checked) or a folder to browse for. */
export async function pickModelPackage(entries: readonly ModelPackageEntry[], current: string | undefined): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
  const items: Item[] = entries.map((e) => ({
    label: `${e.dir === current ? '$(check) ' : ''}${e.name}`,
    description: e.source === 'bundled' ? 'bundled' : 'from diffuseq.modelPath',
    detail: [e.description, e.note, e.dir].filter(Boolean).join(' — '),
    dir: e.dir,
  }));
  items.push({ label: '$(folder-opened) Browse for a model package folder…', browse: true });
  const pick = await vscode.window.showQuickPick(items, {
    title: 'DiffuSeq: Select Model',
    placeHolder: entries.length ? 'Model package to use for rewriting' : 'No model packages found: browse for one',
    matchOnDetail: true,
  });
  if (!pick) return undefined;
  return pick.browse ? browseForModelPackage('Use This Model') : pick.dir;
}
