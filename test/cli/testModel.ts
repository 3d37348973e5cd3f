/**
 * The model package the engine and CLI tests run on: always a real package, never a mock.
 *
 * In order: the folder named by DIFFUSEQ_TEST_MODEL; the real tiny CPU-trained model of test/fixtures/tinyModel.ts
 * (`getTinyModel()`, built once and cached); models/_dev-random (the trainer's untrained but structurally valid
 * package). With none of them the suites skip — except under CI=true when the tiny model cannot be built.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TinyModelUnavailable, getTinyModel } from '../fixtures/tinyModel';

/** Repository root (tests run from out/test/…). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

let cached: Promise<string | undefined> | undefined;

export function testModel(): Promise<string | undefined> {
  cached ??= findTestModel();
  return cached;
}

async function findTestModel(): Promise<string | undefined> {
  const isPackage = (d: string) => fs.existsSync(path.join(d, 'manifest.json'));
  if (process.env.DIFFUSEQ_TEST_MODEL) {
    return process.env.DIFFUSEQ_TEST_MODEL;
  }
  try {
    return await getTinyModel();
  } catch (e) {
    const dev = path.join(REPO_ROOT, 'models', '_dev-random');
    if (isPackage(dev)) {
      return dev;
    }
    if (e instanceof TinyModelUnavailable && process.env.CI !== 'true') {
      console.warn(`    (no test model: ${e.reason})`);
      return undefined;
    }
    throw e;
  }
}

/** For `before` hooks: the model folder (building the tiny model may take minutes), or skip the suite. */
export async function requireTestModel(ctx: Mocha.Context): Promise<string> {
  ctx.timeout(60 * 60_000);
  const dir = await testModel();
  if (!dir) {
    ctx.skip();
  }
  return dir as string;
}

/** Copies a package's files into a fresh temporary folder (for tests that break copies). */
export function copyPackage(src: string, tag = 'pkg'): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `diffuseq-${tag}-`));
  for (const f of fs.readdirSync(src)) {
    const p = path.join(src, f);
    if (fs.statSync(p).isFile()) {
      fs.copyFileSync(p, path.join(dst, f));
    }
  }
  return dst;
}

/** `n` plain words of the package's own vocabulary (so tests do not assume which English words a model knows). */
export function vocabWords(dir: string, n: number): string[] {
  const tok = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const words = Object.keys(tok.model.vocab).filter((w) => /^[a-z]{3,}$/.test(w));
  if (words.length < n) {
    throw new Error(`${dir}: tokenizer has only ${words.length} plain words`);
  }
  // Spread over the vocabulary, deterministic.
  const step = Math.max(1, Math.floor(words.length / n / 4));
  return Array.from({ length: n }, (_, i) => words[i * step]);
}
