import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPackagesIn, listModelPackages, modelPathProblem, readManifestSummary, resolveActiveModel } from '../../src/extension/models';

function pkgDir(root: string, name: string, manifest: object | string = { format: 'diffuseq-v2', name, description: `${name} model` }) {
  const d = path.join(root, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  return d;
}

describe('extension/models', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsq-models-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a manifest summary, tolerating bad JSON and rejecting other formats', () => {
    const a = pkgDir(tmp, 'a', { format: 'diffuseq-v2', name: 'alpha', description: 'd', provenance: { note: 'placeholder' } });
    assert.deepEqual(readManifestSummary(a), { name: 'alpha', description: 'd', note: 'placeholder' });
    const bad = pkgDir(tmp, 'bad', '{not json');
    assert.equal(readManifestSummary(bad)?.name, 'bad');
    const other = pkgDir(tmp, 'other', { format: 'something-else', name: 'x' });
    assert.equal(readManifestSummary(other), undefined);
    assert.equal(readManifestSummary(path.join(tmp, 'none')), undefined);
  });

  it('a folder that is a package, or a folder of packages', () => {
    const bundled = path.join(tmp, 'models');
    pkgDir(bundled, 'default');
    pkgDir(bundled, '_dev-random');
    fs.mkdirSync(path.join(bundled, 'not-a-package'));
    assert.deepEqual(
      findPackagesIn(bundled, 'bundled').map((e) => path.basename(e.dir)),
      ['_dev-random', 'default'],
    );
    const single = pkgDir(tmp, 'mine');
    assert.deepEqual(
      findPackagesIn(single, 'configured').map((e) => e.name),
      ['mine'],
    );
    assert.deepEqual(findPackagesIn(path.join(tmp, 'nope'), 'configured'), []);
    assert.deepEqual(findPackagesIn('', 'configured'), []);
    const all = listModelPackages(bundled, single);
    assert.deepEqual(
      all.map((e) => [e.name, e.source]),
      [
        ['mine', 'configured'],
        ['_dev-random', 'bundled'],
        ['default', 'bundled'],
      ],
    );
    assert.equal(listModelPackages(bundled, bundled).length, 2, 'no duplicates');
  });

  it('active model: chosen, configured package, bundled default, then the first non-test package', () => {
    const bundled = path.join(tmp, 'models');
    const dev = pkgDir(bundled, '_dev-random');
    assert.equal(resolveActiveModel(bundled, '', undefined), dev, 'only a test package: use it');
    const other = pkgDir(bundled, 'other');
    assert.equal(resolveActiveModel(bundled, '', undefined), other, 'regular before _test packages');
    const def = pkgDir(bundled, 'default');
    assert.equal(resolveActiveModel(bundled, '', undefined), def);
    const mine = pkgDir(tmp, 'mine');
    assert.equal(resolveActiveModel(bundled, mine, undefined), mine);
    assert.equal(resolveActiveModel(bundled, mine, dev), dev);
    assert.equal(resolveActiveModel(bundled, mine, path.join(tmp, 'deleted')), mine, 'a chosen package that is gone is skipped');
    assert.equal(resolveActiveModel(path.join(tmp, 'none'), '', undefined), undefined);
  });

  it('says when diffuseq.modelPath names no model, instead of falling back silently', () => {
    assert.equal(modelPathProblem(''), undefined);
    const mine = pkgDir(tmp, 'mine');
    assert.equal(modelPathProblem(mine), undefined);
    assert.equal(modelPathProblem(tmp), undefined, 'a folder of packages');
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    assert.equal(
      modelPathProblem(empty),
      `"diffuseq.modelPath" ${empty} is not a model package (no manifest.json in it or in its sub-folders); using the bundled model instead`,
    );
    assert.match(modelPathProblem(path.join(tmp, 'gone')) ?? '', /gone does not exist; using the bundled model instead$/);
  });
});
