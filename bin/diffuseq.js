#!/usr/bin/env node
'use strict';
// The `diffuseq` command. The TypeScript sources are compiled to out/ by `npm run build` (tsc -p .).
let cli;
try {
  cli = require('../out/src/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('out/src/cli/main.js')) {
    process.stderr.write('diffuseq: not built yet: run `npm run build` in the package folder first\n');
    process.exit(1);
  }
  throw e;
}
cli.run();
