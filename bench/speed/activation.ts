/**
 * Section 4 of the speed run: the extension's activation time in a real VS Code extension host. Each repeat starts
 * code-server afresh through the integration runner (`npm run test:integration:web`, only the activation tests),
 * whose test appends the extension's own activation marks to a file (bench/lib/activation.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { num } from '../lib/args';
import { ACTIVATION_OUT_ENV, ACTIVATION_TESTS_GREP, activationFromSamples, readActivationSamples } from '../lib/activation';
import { runNodeScript } from '../lib/child';
import { log } from '../lib/log';
import type { ActivationResult } from '../lib/schema';
import { formatMs, formatSummaryMs } from '../lib/stats';
import type { SpeedContext } from './context';

/** How long one host start may take before the runner gives up by itself (it took ~40 s on the busy 2-core VM). */
const HOST_RUN_MS = 5 * 60_000;

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** The last non-empty lines of a run's output, for a one-line reason. */
function tail(text: string, lines = 3): string {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-lines)
    .join(' | ');
}

/** 4. Cold activations of the bundled extension, one fresh extension host each. */
export async function measureActivation(ctx: SpeedContext): Promise<ActivationResult> {
  const { args, root, quick, verbose, noisySpread, notes } = ctx;
  const bundle = path.join(root, 'dist', 'extension.js');
  const runner = path.join(root, 'out', 'test', 'extension', 'integration', 'runWeb.js');
  if (!fs.existsSync(bundle)) {
    const reason = `${path.relative(root, bundle)} not found: run \`npm run bundle\` first`;
    log(`activation: skipped (${reason})`);
    return { status: 'skipped', reason };
  }
  if (!fs.existsSync(runner)) {
    const reason = `${path.relative(root, runner)} not found: run \`npx tsc -p .\` first`;
    log(`activation: skipped (${reason})`);
    return { status: 'skipped', reason };
  }
  const st = fs.statSync(bundle);
  const reps = num(args, 'activation-repeats', quick ? 1 : 3, { integer: true, min: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-activation-'));
  const samplesFile = path.join(dir, 'samples.jsonl');
  let activation: ActivationResult;
  try {
    for (let i = 0; i < reps; i++) {
      log(`activation: extension host ${i + 1}/${reps} (code-server) …`);
      const before = readActivationSamples(samplesFile).length;
      const r = await runNodeScript(runner, [], {
        cwd: root,
        // The runner's own limit ends it (and its code-server and browser) cleanly before the kill.
        timeoutMs: HOST_RUN_MS + 60_000,
        env: {
          [ACTIVATION_OUT_ENV]: samplesFile,
          DIFFUSEQ_ITEST_GREP: ACTIVATION_TESTS_GREP,
          DIFFUSEQ_WEB_TIMEOUT_MS: String(HOST_RUN_MS),
        },
        echo: verbose,
      });
      const got = readActivationSamples(samplesFile).length;
      if (r.code !== 0 || got === before) {
        // The runner exits 0 without a host where code-server or chromium is missing (it prints SKIP …).
        const why = r.timedOut ? 'timed out' : tail(r.stdout + r.stderr);
        if (r.code === 0 && /^SKIP /m.test(r.stdout)) {
          log(`activation: skipped (${why})`);
          return { status: 'skipped', reason: why };
        }
        throw new Error(`the integration runner (${path.relative(root, runner)}) exited ${r.code ?? r.signal} without a sample: ${why}`);
      }
    }
    activation = activationFromSamples(
      readActivationSamples(samplesFile),
      { path: path.relative(root, bundle), bytes: st.size, modified: st.mtime.toISOString() },
      noisySpread,
    );
    log(
      `activation: ${formatSummaryMs(activation.totalMs!)} (module ${formatMs(activation.moduleMs!.median)}, activate() ${formatMs(activation.activateMs!.median)}; ` +
        `VS Code preparing the context ${formatMs(activation.contextMs!.median)}) in ${activation.host}`,
    );
    if (newestMtime(path.join(root, 'src', 'extension')) > st.mtimeMs) {
      notes.push('dist/extension.js is older than src/extension: activation was measured on a stale bundle (run `npm run bundle`)');
    }
  } catch (e) {
    activation = { status: 'failed', reason: (e as Error).message.split('\n').slice(0, 3).join(' | ') };
    log(`activation FAILED: ${(e as Error).message}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return activation;
}
