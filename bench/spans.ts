/**
 * Latency of one rewrite with protected spans (docs/engine.md, "Protected spans"): wall and process CPU time.
 *
 *   node out/bench/spans.js [--engine DIR] [--model DIR] [--runs N] ["text"]
 *   node out/bench/spans.js --pools
 *   node out/bench/spans.js --table
 *
 * Loads the model on the CPU with 2 threads, rewrites once to warm up, then N times (seeds 1..N, 8 candidates,
 * 10 steps) and prints the medians of `timings.total`, of the CPU time of the process (all threads) and of
 * `timings.network`, with the sequence length L. `--engine` names another build's `out/src/engine` folder, so the
 * same command measures the code before a change (a checkout of the older commit, built with `npx tsc -p .`).
 *
 * `--pools` compares placeholder choices instead: the tokenizer's pool (the rarest whole words) against words of
 * middling (ids 6,000–9,000) and high frequency (1,500–4,000), by the share of rare word pieces (id ≥ 12,000) in the
 * candidates of POOL_TEXTS × seeds 1–2 — does a rare placeholder make the model write more rare garbage around it?
 *
 * `--table` rewrites test/fixtures/protected-spans.json as its test does (8 candidates, seed = row, every third row
 * simplified) twice: with the placeholders anchored in the target, and with them only in the source (the model left
 * to copy them), and counts the candidates dropped for losing a span.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { RewriteEngine as Engine } from '../src/engine';

const EXAMPLE =
  'See [the install guide](https://example.com/docs/install.html) and run `npm ci --omit=dev` before version 2.4.1 ships on 12 March.';

const POOL_TEXTS = [
  EXAMPLE,
  'Revenue rose 12.5% to $4,250 in 2024, according to the report at https://example.org/q3.',
  'Please email support@example.com or ping @octocat before 9:30 tomorrow.',
  'Open src/engine/protect.ts and change line 42 to use `findProtectedSpans`.',
  'As shown in \\cite{smith2020}, the loss falls below $10^{-3}$ after 500 steps.',
  'Why does my laptop get so hot when I run `npm test` for 10 minutes?',
];

async function comparePools(engine: Engine, model: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vocab = (require(path.join(model, 'tokenizer.json')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const words = (lo: number, hi: number): number[] =>
    Object.entries(vocab)
      .filter(([w, id]) => id >= lo && id < hi && /^[a-z]{4,}$/.test(w))
      .map(([, id]) => id)
      .sort((a, b) => a - b)
      .slice(0, 128);
  const tok = (engine as unknown as { tokenizer: { placeholderPool: readonly number[]; encodeIds(t: string): number[] } }).tokenizer;
  const pools: [string, readonly number[]][] = [
    ['rarest (the engine)', tok.placeholderPool],
    ['ids 6000-9000', words(6000, 9000)],
    ['ids 1500-4000', words(1500, 4000)],
  ];
  for (const [name, pool] of pools) {
    tok.placeholderPool = pool;
    let rare = 0;
    let pieces = 0;
    let dropped = 0;
    for (const text of POOL_TEXTS) {
      for (const seed of [1, 2]) {
        const r = await engine.rewrite(text, { task: 'paraphrase', seed, candidates: 8, steps: 10 });
        dropped += r.droppedCandidates;
        for (const c of r.candidates) {
          for (const id of tok.encodeIds(c.text)) {
            pieces++;
            if (id >= 12000) rare++;
          }
        }
      }
    }
    console.log(`${name}: rare-piece share ${(rare / pieces).toFixed(3)} of ${pieces} pieces, ${dropped} dropped`);
  }
}

async function rewriteTable(engine: Engine, root: string): Promise<void> {
  const table = path.join(root, 'test', 'fixtures', 'protected-spans.json');
  const cases = (JSON.parse(fs.readFileSync(table, 'utf8')) as { cases: { text: string }[] }).cases;
  // The pipeline calls protect.anchorsOf through the module object, so replacing it there turns anchoring off.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protect = require(path.join(root, 'out', 'src', 'engine', 'protect.js')) as { anchorsOf: (...a: unknown[]) => unknown };
  const anchored = protect.anchorsOf;
  for (const [name, fn] of [
    ['anchored', anchored],
    ['copied only', () => []],
  ] as const) {
    protect.anchorsOf = fn;
    let shown = 0;
    let dropped = 0;
    for (const [i, c] of cases.entries()) {
      const r = await engine.rewrite(c.text, { task: i % 3 === 2 ? 'simplify' : 'paraphrase', candidates: 8, steps: 10, seed: i });
      shown += r.droppedCandidates === 8 ? 0 : r.candidates.length;
      dropped += r.droppedCandidates;
    }
    console.log(`${name}: ${cases.length} inputs, ${shown} candidates shown, ${dropped} dropped`);
  }
  protect.anchorsOf = anchored;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args.splice(i, 2)[1] : fallback;
  };
  const root = path.resolve(__dirname, '..', '..');
  const engineDir = path.resolve(opt('engine', path.join(root, 'out', 'src', 'engine')));
  const model = path.resolve(opt('model', path.join(root, 'models', 'default')));
  const runs = Number(opt('runs', '7'));
  const pools = args.includes('--pools');
  const table = args.includes('--table');
  const text = args[0] ?? EXAMPLE;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the engine of the build named by --engine
  const { RewriteEngine } = require(engineDir) as { RewriteEngine: typeof Engine };
  const engine = await RewriteEngine.load(model, { executionProvider: 'cpu', threads: 2 });
  if (pools || table) {
    await (pools ? comparePools(engine, model) : rewriteTable(engine, root));
    await engine.dispose();
    return;
  }
  await engine.rewrite(text, { task: 'paraphrase', seed: 0 });
  const wall: number[] = [];
  const cpu: number[] = [];
  const network: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const c0 = process.cpuUsage();
    const r = await engine.rewrite(text, { task: 'paraphrase', seed, candidates: 8, steps: 10 });
    const c = process.cpuUsage(c0);
    wall.push(r.timings.total);
    cpu.push((c.user + c.system) / 1000);
    network.push(r.timings.network);
  }
  const median = (a: number[]): number => Math.round([...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]);
  const L = Math.max(...engine.plan(text, 'paraphrase').map((p) => p.L));
  console.log(`L ${L}, median of ${runs}: wall ${median(wall)} ms, CPU ${median(cpu)} ms, network ${median(network)} ms`);
  await engine.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
