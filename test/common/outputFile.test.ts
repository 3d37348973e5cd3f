import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/common/commandLine';
import { checkOutputFile, writeFileAtomic } from '../../src/common/outputFile';

describe('common/outputFile', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsq-out-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const oneLine = (pattern: RegExp) => (e: unknown) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message);

  it('checks a target before any work, leaving nothing behind', () => {
    checkOutputFile(path.join(dir, 'report.json'));
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.throws(() => checkOutputFile(path.join(dir, 'missing', 'r.json')), oneLine(/its folder does not exist; nothing was run$/));
    assert.throws(() => checkOutputFile(dir), oneLine(/it is a folder; nothing was run$/));
  });

  it('replaces the file whole and leaves no temp file', () => {
    const f = path.join(dir, 'report.json');
    fs.writeFileSync(f, '{"old":true}\n');
    writeFileAtomic(f, '{"new":true}\n');
    assert.equal(fs.readFileSync(f, 'utf8'), '{"new":true}\n');
    assert.deepEqual(fs.readdirSync(dir), ['report.json']);
  });

  it('keeps an earlier report intact when the disk fills mid-write (it used to become truncated JSON)', () => {
    const f = path.join(dir, 'report.json');
    fs.writeFileSync(f, '{"earlier":"valid report"}\n');
    // The write fails after part of the data went out, as on a full disk.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object the code under test calls
    const nodeFs = require('node:fs') as typeof fs;
    const real = nodeFs.writeFileSync;
    nodeFs.writeFileSync = ((target: fs.PathOrFileDescriptor, data: string) => {
      real(target, data.slice(0, 5));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeFileSync;
    try {
      assert.throws(
        () => writeFileAtomic(f, '{"new":"a much longer report"}\n'),
        oneLine(/^cannot write --out .*report\.json: no space left on the device; .*report\.json keeps its earlier contents$/),
      );
    } finally {
      nodeFs.writeFileSync = real;
    }
    assert.equal(fs.readFileSync(f, 'utf8'), '{"earlier":"valid report"}\n');
    assert.deepEqual(fs.readdirSync(dir), ['report.json'], 'the temp file is removed');
  });
});
