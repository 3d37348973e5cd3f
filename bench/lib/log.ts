/** The benchmark scripts' progress lines: stderr, so that stdout carries only the report. */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}
