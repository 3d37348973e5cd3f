/**
 * What the status bar says about the model. Pure: extension.ts gathers the facts and statusBar.ts shows the result.
 *
 * The engine keeps the last model it loaded; after another package is picked (or failed to load) that one must
 * not be shown as the active model — the status bar used to say "default · cpu" after a broken package was picked.
 */
import * as path from 'node:path';

export interface StatusFacts {
  /** The active model folder, if any. */
  activeDir: string | undefined;
  /** Its manifest name (or folder name). */
  activeName: string | undefined;
  /** The model the engine has loaded, if any. */
  loaded: { dir: string; name: string; executionProvider: string } | undefined;
  /** The last failed load, if any. */
  loadError: { dir: string; message: string } | undefined;
  busy: boolean;
  /** 0..1 while busy. */
  fraction?: number;
}

export interface StatusView {
  text: string;
  /** The engine's model when it is the active one (its provider is shown). */
  loaded: StatusFacts['loaded'];
  /** Why the active model is not usable, when its load failed. */
  problem?: string;
}

const same = (a: string, b: string) => path.resolve(a) === path.resolve(b);

export function statusView(f: StatusFacts): StatusView {
  const loaded = f.loaded && f.activeDir && same(f.loaded.dir, f.activeDir) ? f.loaded : undefined;
  const problem = f.loadError && f.activeDir && same(f.loadError.dir, f.activeDir) && !loaded ? f.loadError.message : undefined;
  let text: string;
  if (f.busy) text = `$(sync~spin) DiffuSeq ${Math.round((f.fraction ?? 0) * 100)}%`;
  else if (!f.activeName) text = '$(warning) DiffuSeq: no model';
  else if (problem) text = `$(warning) ${f.activeName}: not loaded`;
  else text = `$(sparkle) ${f.activeName}${loaded ? ` · ${loaded.executionProvider}` : ''}`;
  return { text, loaded, ...(problem ? { problem } : {}) };
}
