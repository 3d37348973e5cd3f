/**
 * Writing what a command produces without losing it or what was there before: the output path is checked before
 * any work (a read-only or missing folder used to be found only after an hour-long eval), files are written to a
 * temp file and renamed over the target (a full disk used to leave an earlier valid report as truncated JSON), and
 * a failing stdout (`> /dev/full`, a closed pipe) is one line, not an unhandled 'error' event with a stack trace.
 * Node built-ins only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from './commandLine';

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: 'its folder does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of its path is not a folder',
  };
  return (err?.code && why[err.code]) || (err?.message ?? String(e)).split('\n')[0];
}

function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

/**
 * Throws a one-line UserError unless `file` can be written: its folder exists and takes a new file (probed by
 * creating and removing the temp file the real write will use), and it is not a folder itself.
 */
export function checkOutputFile(file: string, flag = '--out'): void {
  try {
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    }
    const tmp = tempNameFor(file);
    fs.closeSync(fs.openSync(tmp, 'wx'));
    fs.unlinkSync(tmp);
  } catch (e) {
    throw new UserError(`cannot write ${flag} ${file}: ${reason(e)}; nothing was run`);
  }
}

/**
 * Writes `data` to `file` through a temp file in the same folder, flushed, then renamed over it: `file` is either
 * its old contents or the new ones, never a part. A failure removes the temp file and throws a one-line UserError.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, flag = '--out'): void {
  const tmp = tempNameFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const kept = fs.existsSync(file) ? `; ${file} keeps its earlier contents` : '';
    throw new UserError(`cannot write ${flag} ${file}: ${reason(e)}${kept}`);
  }
}

let guarded = false;

/**
 * Turns a write error on stdout into one line on stderr and exit code 1 (`> /dev/full`); a closed pipe (`| head`)
 * ends quietly. Without a listener Node throws the stream's 'error' event with a stack trace. Called once by the
 * entry point (bin/diffuseq.js through cli/main.ts `run`).
 */
export function guardStandardStreams(proc: NodeJS.Process = process): void {
  if (guarded) return;
  guarded = true;
  const onError = (name: string) => (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      // The reader went away (`diffuseq rewrite … | head -1`): nothing left to tell it.
      proc.exit(proc.exitCode ?? 0);
    }
    if (name === 'stdout') {
      try {
        proc.stderr.write(`diffuseq: cannot write the output to ${name}: ${reason(e)}\n`);
      } catch {
        /* stderr is gone too */
      }
    }
    proc.exit(1);
  };
  proc.stdout.on('error', onError('stdout'));
  proc.stderr.on('error', onError('stderr'));
}
