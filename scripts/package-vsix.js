#!/usr/bin/env node
'use strict';
/**
 * `npm run package`: builds the .vsix for ONE platform (this machine's, or --target), with only that
 * platform's onnxruntime binaries — a fifth of the universal package's size. `--universal` builds the
 * package for every platform onnxruntime-node ships (linux x64/arm64, win32 x64/arm64, darwin arm64).
 *
 *   node scripts/package-vsix.js [--target linux-x64|linux-arm64|win32-x64|win32-arm64|darwin-arm64]
 *                                [--universal] [--out FILE]          (default FILE: diffuseq-rewrite.vsix)
 *
 * .vscodeignore is the universal list; for one target this writes a copy whose onnxruntime binary lines
 * name that platform only, and runs `vsce package --target T --ignoreFile COPY` (VS Code's marketplace
 * serves platform-specific packages to the matching platform). The webpack bundle is built by vsce through
 * the `vscode:prepublish` script.
 */
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';

/** The native files the onnxruntime-node binding loads on each platform. */
const NATIVE = {
  'linux-x64': ['linux/x64/onnxruntime_binding.node', 'linux/x64/libonnxruntime.so.1'],
  'linux-arm64': ['linux/arm64/onnxruntime_binding.node', 'linux/arm64/libonnxruntime.so.1'],
  'win32-x64': ['win32/x64/onnxruntime_binding.node', 'win32/x64/*.dll'],
  'win32-arm64': ['win32/arm64/onnxruntime_binding.node', 'win32/arm64/*.dll'],
  'darwin-arm64': ['darwin/arm64/onnxruntime_binding.node', 'darwin/arm64/libonnxruntime.1.dylib'],
};

function usage(msg) {
  if (msg) process.stderr.write(`package-vsix: ${msg}\n`);
  process.stderr.write('usage: node scripts/package-vsix.js [--target ' + Object.keys(NATIVE).join('|') + '] [--universal] [--out FILE]\n');
  process.exit(2);
}

/** The ignore-file text for one target: the universal list with its onnxruntime binary lines replaced. */
function ignoreFileFor(universal, target) {
  const lines = universal.split('\n').filter((l) => !l.startsWith(`!${ORT_BIN}/`));
  lines.push(`# ${target} only (written by scripts/package-vsix.js)`);
  for (const f of NATIVE[target]) lines.push(`!${ORT_BIN}/${f}`);
  return lines.join('\n') + '\n';
}

function main(argv) {
  let target = `${process.platform}-${process.arch}`;
  let universal = false;
  let out = 'diffuseq-rewrite.vsix';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--universal') universal = true;
    else if (a === '--target') target = argv[++i];
    else if (a === '--out') out = argv[++i];
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!target || !out) usage('--target and --out need a value');
  if (!universal && !NATIVE[target]) {
    usage(`onnxruntime-node ships no binaries for ${target}; use --target with one of ${Object.keys(NATIVE).join(', ')}, or --universal`);
  }
  const vsce = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
  const args = ['package', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out];
  let tmp;
  if (!universal) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-vsix-'));
    const ignore = path.join(tmp, '.vscodeignore');
    fs.writeFileSync(ignore, ignoreFileFor(fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8'), target));
    args.push('--target', target, '--ignoreFile', ignore);
  }
  process.stdout.write(`package-vsix: ${universal ? 'universal package (all platforms)' : `target ${target}`} → ${out}\n`);
  const r = cp.spawnSync(vsce, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (r.error) {
    process.stderr.write(`package-vsix: cannot run vsce (${r.error.message}); run npm ci first\n`);
    return 1;
  }
  return r.status ?? 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
module.exports = { ignoreFileFor, NATIVE };
