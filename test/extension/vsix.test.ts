/**
 * The packaged extension (`npm run package` → diffuseq-rewrite.vsix): expected files present, nothing
 * stray from node_modules, and its size within bounds. Skipped when no .vsix was built, unless
 * DIFFUSEQ_REQUIRE_VSIX=1 (CI sets it after `npm run package`).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listZip, readZipEntry, ZipEntry } from './zip';

const root = path.resolve(__dirname, '..', '..', '..');
const VSIX = process.env.DIFFUSEQ_VSIX || path.join(root, 'diffuseq-rewrite.vsix');
const MiB = 1024 * 1024;

/**
 * Everything but the model. `npm run package` builds for one platform (onnxruntime's binaries for it alone,
 * ~17 MiB compressed for linux-x64); `npm run package:universal` for all five (~96 MiB).
 */
export const RUNTIME_BOUND_MIB = { platform: 30, universal: 110 };

/** What the onnxruntime-node binding loads on each platform vsce can target. */
const NATIVE: Record<string, string[]> = {
  'linux-x64': ['linux/x64/onnxruntime_binding.node', 'linux/x64/libonnxruntime.so.1'],
  'linux-arm64': ['linux/arm64/onnxruntime_binding.node', 'linux/arm64/libonnxruntime.so.1'],
  'win32-x64': ['win32/x64/onnxruntime_binding.node', 'win32/x64/onnxruntime.dll', 'win32/x64/DirectML.dll'],
  'win32-arm64': ['win32/arm64/onnxruntime_binding.node', 'win32/arm64/onnxruntime.dll'],
  'darwin-arm64': ['darwin/arm64/onnxruntime_binding.node', 'darwin/arm64/libonnxruntime.1.dylib'],
};
/** The model package is stored compressed; it may not take more than its size on disk plus 1 MiB. */

describe('extension/vsix (packaged extension)', function () {
  let entries: ZipEntry[] = [];
  let names: Set<string>;
  /** The vsixmanifest's TargetPlatform, or undefined for a universal package. */
  let target: string | undefined;

  before(function () {
    if (!fs.existsSync(VSIX)) {
      if (process.env.DIFFUSEQ_REQUIRE_VSIX === '1') throw new Error(`${VSIX} is missing: run npm run package first`);

      console.warn(`    (skipped: ${path.relative(root, VSIX)} not built; run npm run package)`);
      this.skip();
    }
    entries = listZip(VSIX);
    names = new Set(entries.map((e) => e.name));
    target = /TargetPlatform="([^"]+)"/.exec(readZipEntry(VSIX, 'extension.vsixmanifest').toString('utf8'))?.[1];
  });

  it('contains the bundle, the webview assets, the manifest and the docs it opens', () => {
    for (const f of [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/dist/extension.js',
      'extension/dist/engineHost.js',
      'extension/media/panel.js',
      'extension/media/panel.css',
      'extension/media/icon.png',
    ]) {
      assert.ok(names.has(f), `${f} missing`);
    }
    for (const doc of ['training.md', 'extension.md']) {
      if (fs.existsSync(path.join(root, 'docs', doc))) assert.ok(names.has(`extension/docs/${doc}`), `docs/${doc} missing`);
    }
    const configs = path.join(root, 'src', 'trainer', 'configs');
    for (const c of fs.existsSync(configs) ? fs.readdirSync(configs).filter((f) => f.endsWith('.json')) : []) {
      assert.ok(names.has(`extension/src/trainer/configs/${c}`), `trainer config ${c} missing`);
    }
  });

  it('the extension host bundle loads neither onnxruntime nor the tokenizer library (the engine process does)', () => {
    // It imports the engine's types, errors and comment parser through src/engine/index.ts; webpack leaves out
    // the rest of the index (webpack.config.js: ES modules, the engine free of side effects).
    const bundle = readZipEntry(VSIX, 'extension/dist/extension.js').toString('utf8');
    assert.ok(!bundle.includes('onnxruntime'), 'dist/extension.js mentions onnxruntime');
    assert.ok(!bundle.includes('@huggingface/transformers'), 'dist/extension.js mentions @huggingface/transformers');
    const host = readZipEntry(VSIX, 'extension/dist/engineHost.js').toString('utf8');
    assert.ok(host.includes('onnxruntime-node'), 'dist/engineHost.js should load onnxruntime-node');
  });

  it("contains onnxruntime-node's JS and the native binaries of its target platform (all five when universal)", () => {
    const bin = 'extension/node_modules/onnxruntime-node/bin/napi-v6';
    for (const f of [
      'extension/node_modules/onnxruntime-node/dist/index.js',
      'extension/node_modules/onnxruntime-node/package.json',
      'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
      'extension/node_modules/onnxruntime-common/package.json',
    ]) {
      assert.ok(names.has(f), `${f} missing`);
    }
    if (target !== undefined) assert.ok(NATIVE[target], `unexpected target platform ${target}`);
    const wanted = target === undefined ? Object.keys(NATIVE) : [target];
    for (const t of wanted) {
      for (const f of NATIVE[t]) assert.ok(names.has(`${bin}/${f}`), `${bin}/${f} missing (${target ?? 'universal'})`);
    }
    // A platform package carries no other platform's binaries.
    const platformDirs = new Set([...names].filter((n) => n.startsWith(`${bin}/`)).map((n) => n.split('/').slice(5, 7).join('-')));
    assert.deepEqual([...platformDirs].sort(), [...wanted].sort());
    // The versioned duplicate of the macOS library is not loaded by the binding (@rpath/libonnxruntime.1.dylib).
    assert.ok(!names.has(`${bin}/darwin/arm64/libonnxruntime.1.30.0.dylib`));
  });

  it('no stray node_modules, sources, tests, maps or build output', () => {
    const allowed = /^extension\/node_modules\/(onnxruntime-node|onnxruntime-common)\//;
    const stray = entries
      .map((e) => e.name)
      .filter(
        (n) =>
          (n.startsWith('extension/node_modules/') && !allowed.test(n)) ||
          /\.(map|ts)$/.test(n) ||
          /^extension\/(out|test|bench|\.vscode|\.ci|\.git)\//.test(n) ||
          /^extension\/src\/(?!trainer\/configs\/[^/]+\.json$)/.test(n),
      );
    assert.deepEqual(stray, []);
    for (const pkg of ['@huggingface', 'onnxruntime-web', 'sharp', '@img', 'tokenizers']) {
      assert.ok(![...names].some((n) => n.startsWith(`extension/node_modules/${pkg}`)), `${pkg} must not be shipped`);
    }
  });

  it('contains models/default when the repository has it', function () {
    const manifest = path.join(root, 'models', 'default', 'manifest.json');
    if (!fs.existsSync(manifest)) {
      console.warn('    (models/default does not exist yet: nothing to check)');
      this.skip();
    }
    for (const f of fs.readdirSync(path.join(root, 'models', 'default'))) {
      assert.ok(names.has(`extension/models/default/${f}`), `models/default/${f} missing from the .vsix`);
    }
    assert.ok(
      ![...names].some((n) => n.startsWith('extension/models/') && !n.startsWith('extension/models/default/')),
      'only the default model is shipped',
    );
  });

  it(`size: at most ${RUNTIME_BOUND_MIB.platform} MiB (one platform) / ${RUNTIME_BOUND_MIB.universal} MiB (universal) for everything but the model, and the model at most its size on disk + 1 MiB`, () => {
    const total = fs.statSync(VSIX).size;
    const model = entries.filter((e) => e.name.startsWith('extension/models/')).reduce((s, e) => s + e.compressedSize, 0);
    const runtime = total - model;

    console.log(
      `      .vsix (${target ?? 'universal'}) ${(total / MiB).toFixed(1)} MiB = runtime ${(runtime / MiB).toFixed(1)} MiB + model ${(model / MiB).toFixed(1)} MiB, ${entries.length} files`,
    );
    const bound = target === undefined ? RUNTIME_BOUND_MIB.universal : RUNTIME_BOUND_MIB.platform;
    assert.ok(runtime <= bound * MiB, `runtime part ${(runtime / MiB).toFixed(1)} MiB > ${bound} MiB (${target ?? 'universal'})`);
    const modelDir = path.join(root, 'models', 'default');
    if (fs.existsSync(modelDir)) {
      const onDisk = fs.readdirSync(modelDir).reduce((s, f) => s + fs.statSync(path.join(modelDir, f)).size, 0);
      assert.ok(model <= onDisk + MiB, `model ${(model / MiB).toFixed(1)} MiB > on disk ${(onDisk / MiB).toFixed(1)} MiB + 1`);
    }
  });
});
