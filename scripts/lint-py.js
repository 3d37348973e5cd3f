#!/usr/bin/env node
'use strict';
/**
 * `npm run lint:py`: ruff (lint + format check, rules in ruff.toml) over the Python trainer and its tests.
 * Uses the first of python3 / python that has ruff (`python3 -m pip install ruff`; .ci/run installs it). Without
 * ruff the stage prints a SKIP line, except under CI=true, where a missing linter is a failure.
 */
const cp = require('child_process');

const TARGETS = ['src/trainer/python', 'test/trainer/python'];

function findRuff() {
  for (const py of ['python3', 'python']) {
    const r = cp.spawnSync(py, ['-m', 'ruff', '--version'], { encoding: 'utf8' });
    if (r.status === 0) return { py, version: r.stdout.trim() };
  }
  return null;
}

function main() {
  const ruff = findRuff();
  if (!ruff) {
    const msg = 'ruff is not installed: python3 -m pip install ruff';
    if (process.env.CI === 'true' || process.env.CI === '1') {
      process.stderr.write(`lint:py: ${msg}\n`);
      return 1;
    }
    process.stdout.write(`SKIP lint:py: ${msg}\n`);
    return 0;
  }
  process.stdout.write(`${ruff.version}\n`);
  for (const args of [
    ['check', ...TARGETS],
    ['format', '--check', ...TARGETS],
  ]) {
    const r = cp.spawnSync(ruff.py, ['-m', 'ruff', ...args], { stdio: 'inherit' });
    if (r.status !== 0) {
      process.stderr.write(
        `lint:py: ruff ${args[0]} failed${args[0] === 'format' ? ' (run: python3 -m ruff format src/trainer/python test/trainer/python)' : ''}\n`,
      );
      return 1;
    }
  }
  return 0;
}

process.exitCode = main();
