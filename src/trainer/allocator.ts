/**
 * Which malloc the Python trainer runs on. With glibc's default malloc a CPU training step frees its
 * activations back to the OS and faults them in again on the next step (~400 000 minor faults and over a
 * quarter of the CPU time per step, measured on the default shape); tcmalloc keeps them. Where tcmalloc is
 * not installed, glibc's tunables (higher mmap and trim thresholds) keep most of that memory instead.
 */
import * as fs from 'node:fs';

/** Where Debian/Ubuntu (libtcmalloc-minimal4), Fedora (gperftools-libs) and Homebrew put tcmalloc. */
export const TCMALLOC_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4',
  '/usr/lib/libtcmalloc_minimal.so.4',
];

/** 256 MiB: above any one activation tensor of our shapes, so none is mmap'ed and unmapped per step. */
export const GLIBC_TUNABLES_VALUE = 'glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=268435456';

export interface AllocatorChoice {
  /** Environment variables to add (none when the user already chose, or off Linux). */
  env: Record<string, string>;
  /** One line for the log. */
  description: string;
}

/**
 * The allocator environment for a trainer child process. Pure: `exists` and `platform` are injected.
 * The user's own LD_PRELOAD / GLIBC_TUNABLES, or DIFFUSEQ_ALLOCATOR=system, are left alone.
 */
export function chooseAllocator(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  exists: (p: string) => boolean = fs.existsSync,
): AllocatorChoice {
  if (platform !== 'linux') return { env: {}, description: `system allocator (${platform})` };
  if (env.DIFFUSEQ_ALLOCATOR === 'system') return { env: {}, description: 'system allocator (DIFFUSEQ_ALLOCATOR=system)' };
  if (env.LD_PRELOAD) return { env: {}, description: `LD_PRELOAD as set (${env.LD_PRELOAD})` };
  const tc = TCMALLOC_PATHS.find((p) => exists(p));
  if (tc) return { env: { LD_PRELOAD: tc }, description: `tcmalloc (${tc})` };
  if (env.GLIBC_TUNABLES) return { env: {}, description: `glibc malloc, GLIBC_TUNABLES as set` };
  return {
    env: { GLIBC_TUNABLES: GLIBC_TUNABLES_VALUE },
    description: 'glibc malloc with raised mmap/trim thresholds (install libtcmalloc-minimal4 for a faster CPU run)',
  };
}
