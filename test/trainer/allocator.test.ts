import * as assert from 'node:assert/strict';
import { chooseAllocator, GLIBC_TUNABLES_VALUE, TCMALLOC_PATHS } from '../../src/trainer/allocator';

describe('trainer/allocator', () => {
  const none = () => false;
  const only = (p: string) => (q: string) => q === p;

  it('preloads the first tcmalloc found', () => {
    const c = chooseAllocator({}, 'linux', only(TCMALLOC_PATHS[2]));
    assert.deepEqual(c.env, { LD_PRELOAD: TCMALLOC_PATHS[2] });
    assert.equal(c.description, `tcmalloc (${TCMALLOC_PATHS[2]})`);
  });

  it('falls back to glibc tunables, and says how to get tcmalloc', () => {
    const c = chooseAllocator({}, 'linux', none);
    assert.deepEqual(c.env, { GLIBC_TUNABLES: GLIBC_TUNABLES_VALUE });
    assert.match(c.description, /libtcmalloc-minimal4/);
  });

  it("leaves the user's own choices alone", () => {
    assert.deepEqual(chooseAllocator({ LD_PRELOAD: '/x/libjemalloc.so' }, 'linux', () => true).env, {});
    assert.deepEqual(chooseAllocator({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', none).env, {});
    assert.deepEqual(chooseAllocator({ DIFFUSEQ_ALLOCATOR: 'system' }, 'linux', () => true).env, {});
  });

  it('changes nothing off Linux', () => {
    assert.deepEqual(chooseAllocator({}, 'darwin', () => true).env, {});
    assert.deepEqual(chooseAllocator({}, 'win32', () => true).env, {});
  });
});
