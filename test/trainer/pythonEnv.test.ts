import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { trainerProcessEnv } from '../../src/trainer/pythonEnv';

describe('trainer/pythonEnv', () => {
  it("puts the trainer package first on PYTHONPATH, before the user's, and asks for unbuffered output", () => {
    const pkg = path.join('/r', 'src', 'trainer', 'python');
    assert.deepEqual(trainerProcessEnv('/r', {}), { PYTHONPATH: pkg, PYTHONUNBUFFERED: '1' });
    assert.deepEqual(trainerProcessEnv('/r', { PYTHONPATH: '/mine' }), {
      PYTHONPATH: `${pkg}${path.delimiter}/mine`,
      PYTHONUNBUFFERED: '1',
    });
  });
});
