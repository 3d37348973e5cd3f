import * as assert from 'node:assert/strict';
import { resolveSettingPath, resolveWorkspacePath } from '../../src/extension/workspacePath';

describe('workspacePath: ${workspaceFolder}, relative paths and ~ in what the user writes', () => {
  it('replaces ${workspaceFolder} (every occurrence) and resolves relative paths against the workspace root', () => {
    assert.equal(resolveWorkspacePath('${workspaceFolder}/cfg/base.json', '/ws'), '/ws/cfg/base.json');
    assert.equal(resolveWorkspacePath('data/qqp', '/ws'), '/ws/data/qqp');
    assert.equal(resolveWorkspacePath('../other/x', '/ws/inner'), '/ws/other/x');
    assert.equal(resolveWorkspacePath('${workspaceFolder}/a/${workspaceFolder}', '/ws'), '/ws/a/ws');
  });

  it('keeps an absolute path where it is, normalized', () => {
    assert.equal(resolveWorkspacePath('/runs/a', '/ws'), '/runs/a');
    assert.equal(resolveWorkspacePath('/runs//b/../a', '/ws'), '/runs/a');
  });

  it('without a workspace: ${workspaceFolder} is empty and a relative path stays as written', () => {
    assert.equal(resolveWorkspacePath('${workspaceFolder}/models', undefined), '/models');
    assert.equal(resolveWorkspacePath('models/mine', undefined), 'models/mine');
  });

  it('a setting: empty stays empty, a leading ~ is the home folder (only as a whole first segment)', () => {
    assert.equal(resolveSettingPath('', '/ws', '/home/u'), '');
    assert.equal(resolveSettingPath('~/models', '/ws', '/home/u'), '/home/u/models');
    assert.equal(resolveSettingPath('~', undefined, '/home/u'), '/home/u');
    assert.equal(resolveSettingPath('~x/models', '/ws', '/home/u'), '/ws/~x/models');
    assert.equal(resolveSettingPath('${workspaceFolder}/models', '/ws', '/home/u'), '/ws/models');
    assert.equal(resolveSettingPath('models', undefined, '/home/u'), 'models');
  });
});
