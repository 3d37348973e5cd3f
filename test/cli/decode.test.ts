import * as assert from 'node:assert/strict';
import { decodeUtf8 } from '../../src/cli/readInput';

describe('cli/readInput decodeUtf8', () => {
  it('counts invalid UTF-8 sequences instead of replacing them silently', () => {
    assert.deepEqual(decodeUtf8(Buffer.from('café', 'utf8')), { text: 'café', invalid: 0 });
    // "caf" + 0xE9 (Latin-1 é, invalid alone in UTF-8) + " ok" + 0xFF.
    assert.deepEqual(decodeUtf8(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b, 0xff])), { text: 'caf\uFFFD ok\uFFFD', invalid: 2 });
    // A real U+FFFD in valid input is not counted.
    assert.deepEqual(decodeUtf8(Buffer.concat([Buffer.from('a\uFFFDb', 'utf8'), Buffer.from([0xff])])), {
      text: 'a\uFFFDb\uFFFD',
      invalid: 1,
    });
  });
});
