/** Output of the integration tests: console, and DIFFUSEQ_ITEST_LOG when set (the web runner echoes that file). */
import * as fs from 'node:fs';
import * as util from 'node:util';

export function itestWrite(...args: unknown[]): void {
  const file = process.env.DIFFUSEQ_ITEST_LOG;
  if (file) fs.appendFileSync(file, util.format(...args) + '\n');
}

export function itestLog(...args: unknown[]): void {
  itestWrite(...args);
  console.log(...args);
}
