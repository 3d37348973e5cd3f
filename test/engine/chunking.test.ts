import * as assert from 'node:assert/strict';
import { MAX_BATCH_ROWS, chunkByLength } from '../../src/engine/chunking';

describe('engine/chunking', () => {
  const items = [
    { id: 'a', L: 7 },
    { id: 'b', L: 5 },
    { id: 'c', L: 7 },
    { id: 'd', L: 7 },
    { id: 'e', L: 9 },
  ];
  const ids = (batches: { id: string }[][]) => batches.map((b) => b.map((x) => x.id).join(''));

  it('groups by L, shortest first, in input order within a group', () => {
    assert.deepEqual(ids(chunkByLength(items, (x) => x.L, 8)), ['b', 'acd', 'e']);
  });

  it('cuts a group at maxRows / candidates segments', () => {
    // 64 rows / 32 candidates = 2 segments a batch.
    assert.deepEqual(ids(chunkByLength(items, (x) => x.L, 32)), ['b', 'ac', 'd', 'e']);
    assert.deepEqual(ids(chunkByLength(items, (x) => x.L, 3, 6)), ['b', 'ac', 'd', 'e']);
    assert.equal(MAX_BATCH_ROWS, 64);
  });

  it('puts one segment in a batch when its candidates alone exceed maxRows', () => {
    assert.deepEqual(ids(chunkByLength(items, (x) => x.L, 100)), ['b', 'a', 'c', 'd', 'e']);
    assert.deepEqual(
      chunkByLength([], (x: { L: number }) => x.L, 8),
      [],
    );
  });
});
