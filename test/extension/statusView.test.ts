import * as assert from 'node:assert/strict';
import { statusView } from '../../src/extension/statusView';

describe('extension/statusView', () => {
  const loadedDefault = { dir: '/ext/models/default', name: 'default', executionProvider: 'cpu' };

  it('shows the loaded model with its provider while it is the active one', () => {
    const v = statusView({
      activeDir: '/ext/models/default',
      activeName: 'default',
      loaded: loadedDefault,
      loadError: undefined,
      busy: false,
    });
    assert.equal(v.text, '$(sparkle) default · cpu');
    assert.equal(v.loaded, loadedDefault);
  });

  it('after another (broken) package is picked, no longer shows the old one as "default · cpu"', () => {
    const picked = { activeDir: '/w/broken', activeName: 'broken', loaded: loadedDefault, busy: false };
    assert.deepEqual(statusView({ ...picked, loadError: undefined }), { text: '$(sparkle) broken', loaded: undefined });
    const failed = statusView({ ...picked, loadError: { dir: '/w/broken', message: 'manifest.json is not valid JSON' } });
    assert.equal(failed.text, '$(warning) broken: not loaded');
    assert.equal(failed.problem, 'manifest.json is not valid JSON');
    // A failure of another folder says nothing about this one.
    assert.equal(statusView({ ...picked, loadError: { dir: '/w/other', message: 'x' } }).problem, undefined);
  });

  it('busy and no model', () => {
    assert.equal(
      statusView({ activeDir: undefined, activeName: undefined, loaded: undefined, loadError: undefined, busy: false }).text,
      '$(warning) DiffuSeq: no model',
    );
    assert.equal(
      statusView({ activeDir: '/m', activeName: 'm', loaded: undefined, loadError: undefined, busy: true, fraction: 0.426 }).text,
      '$(sync~spin) DiffuSeq 43%',
    );
  });
});
