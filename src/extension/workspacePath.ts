/**
 * Paths the user writes — the `diffuseq.modelPath` setting and the `diffuseq` task definitions — mean what they
 * mean in VS Code's own settings and tasks.json: `${workspaceFolder}` is the (first) workspace folder, and a relative
 * path is relative to it. One home, so that the setting and the tasks cannot come to read the same text differently.
 * Pure (node:path only), so the tests give the root and the home folder.
 */
import * as path from 'node:path';

/**
 * `${workspaceFolder}` replaced by `workspaceRoot`, and the result absolute against it (normalized). Without a
 * workspace (`undefined`), `${workspaceFolder}` is empty and a relative path stays as written.
 */
export function resolveWorkspacePath(p: string, workspaceRoot: string | undefined): string {
  const s = p.replace(/\$\{workspaceFolder\}/g, workspaceRoot ?? '');
  if (workspaceRoot === undefined) return s;
  return path.isAbsolute(s) ? path.normalize(s) : path.resolve(workspaceRoot, s);
}

/** A path setting: empty stays empty (no path set), a leading `~` is the home folder, then as resolveWorkspacePath. */
export function resolveSettingPath(
  p: string,
  workspaceRoot: string | undefined,
  home: string = process.env.HOME ?? process.env.USERPROFILE ?? '~',
): string {
  if (!p) return '';
  return resolveWorkspacePath(p.replace(/^~(?=$|[\\/])/, home), workspaceRoot);
}
