/** scripts/package-vsix.js: the per-platform ignore file keeps everything but the other platforms' binaries. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ignoreFileFor, NATIVE } = require(path.join(root, 'scripts', 'package-vsix.js')) as {
  ignoreFileFor: (universal: string, target: string) => string;
  NATIVE: Record<string, string[]>;
};

describe('extension/package-vsix (per-platform .vscodeignore)', () => {
  const universal = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  const ort = (text: string) => text.split('\n').filter((l) => l.startsWith('!node_modules/onnxruntime-node/bin/'));

  for (const target of Object.keys(NATIVE)) {
    it(`${target}: only its own binaries, every other line unchanged`, () => {
      const out = ignoreFileFor(universal, target);
      const [os, arch] = target.split('-');
      const lines = ort(out);
      assert.equal(lines.length, NATIVE[target].length);
      for (const l of lines) assert.ok(l.includes(`/napi-v6/${os}/${arch}/`), l);
      const rest = (text: string) =>
        text.split('\n').filter((l) => !l.startsWith('!node_modules/onnxruntime-node/bin/') && !l.startsWith('# ') && l);
      assert.deepEqual(rest(out), rest(universal));
    });
  }

  it('the universal list names the binaries of all five platforms', () => {
    const lines = ort(universal).join('\n');
    assert.ok(lines.includes('napi-v6/*/*/onnxruntime_binding.node'));
    for (const os of ['linux', 'darwin', 'win32']) assert.ok(lines.includes(`napi-v6/${os}/`), os);
  });
});
