import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { defaultDataDir, defaultModelDir } from '../../src/common/defaultDirs';

describe('common/defaultDirs', () => {
  it('the model: $DIFFUSEQ_MODEL as written, else models/default under the root, saying which', () => {
    assert.deepEqual(defaultModelDir('/pkg', { DIFFUSEQ_MODEL: 'rel/model' }), { dir: 'rel/model', how: 'DIFFUSEQ_MODEL' });
    assert.deepEqual(defaultModelDir('/pkg', {}), { dir: path.join('/pkg', 'models', 'default'), how: 'default' });
    assert.deepEqual(defaultModelDir('/pkg', { DIFFUSEQ_MODEL: '' }), { dir: path.join('/pkg', 'models', 'default'), how: 'default' });
  });

  it('the data: $DIFFUSEQ_DATA as written, else ../shared/data next to the root', () => {
    assert.equal(defaultDataDir('/w/repo', { DIFFUSEQ_DATA: 'd' }), 'd');
    assert.equal(path.resolve(defaultDataDir('/w/repo', {})), path.join('/w', 'shared', 'data'));
  });
});
