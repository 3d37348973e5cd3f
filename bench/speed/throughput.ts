/**
 * Section 3 of the speed run: sentences per second over a test file, in a worker (rewrite() one by one, then
 * rewriteBatch() as eval does), and with --eval through the eval command from outside.
 */
import * as fs from 'fs';
import * as path from 'path';
import { flag, num, str } from '../lib/args';
import { dataDir } from '../lib/engine';
import { evalArgs, evalCommandLine, parseEvalJson, runEvalCommand } from '../lib/evalCli';
import { runInWorker } from '../lib/fork';
import type { GridSpec } from '../lib/grid';
import type { ThroughputReply } from '../lib/jobs';
import { log } from '../lib/log';
import type { SpeedResult } from '../lib/schema';
import type { SpeedContext } from './context';

type Throughputs = { throughput: SpeedResult['throughput']; evalThroughput: SpeedResult['evalThroughput'] };

/** 3. Throughput over test sentences (rewrite() one by one, then rewriteBatch()), and with --eval the CLI's. */
export async function measureThroughput(ctx: SpeedContext, spec: GridSpec): Promise<Throughputs> {
  const { args, root, base, quick, verbose, timeoutMs, notes } = ctx;
  const { warmup } = ctx.repeats;
  const d = spec.default;
  const limit = num(args, 'throughput-limit', quick ? 20 : 200, { integer: true, min: 1 });
  const data = path.resolve(str(args, 'data') ?? dataDir(root));
  const file = path.join(data, base.task === 'paraphrase' ? 'qqp' : 'asset', 'test.jsonl');
  if (!flag(args, 'throughput', true)) return { throughput: undefined, evalThroughput: undefined };
  if (!fs.existsSync(file)) {
    notes.push(`throughput skipped: ${file} not found (set DIFFUSEQ_DATA or --data)`);
    log(`throughput: skipped, ${file} not found`);
    return { throughput: undefined, evalThroughput: undefined };
  }
  let throughput: SpeedResult['throughput'];
  log(
    `throughput: ${limit} sentences of ${path.relative(root, file)}, ${d.candidates} candidates, ${d.steps} steps: rewrite() one by one, then rewriteBatch() 16 at a time …`,
  );
  try {
    const t = await runInWorker<ThroughputReply>(
      { type: 'throughput', ...base, file, limit, candidates: d.candidates, steps: d.steps, warmup },
      { timeoutMs: Math.max(timeoutMs, limit * 30_000), verbose },
    );
    throughput = {
      file: path.relative(root, file),
      sentences: t.sentences,
      candidates: d.candidates,
      steps: d.steps,
      sequential: { seconds: t.seconds, sentencesPerSecond: t.sentences / t.seconds },
      batch: t.batchSeconds !== undefined ? { seconds: t.batchSeconds, sentencesPerSecond: t.sentences / t.batchSeconds } : undefined,
      peakRssMiB: t.rss.peakMiB,
    };
    log(
      `throughput: sequential ${throughput.sequential.sentencesPerSecond.toFixed(2)} sentences/s (${t.seconds.toFixed(1)} s)` +
        (throughput.batch
          ? `, rewriteBatch ${throughput.batch.sentencesPerSecond.toFixed(2)} sentences/s (${throughput.batch.seconds.toFixed(1)} s)`
          : '') +
        `, peak RSS ${t.rss.peakMiB} MiB`,
    );
  } catch (e) {
    notes.push(`throughput failed: ${(e as Error).message.split('\n')[0]}`);
    log(`throughput FAILED: ${(e as Error).message}`);
  }
  const evalThroughput = flag(args, 'eval', false) ? await measureEvalThroughput(ctx, file, limit, d) : undefined;
  return { throughput, evalThroughput };
}

/** The same sentences through `node bin/diffuseq.js eval` from outside: process start, load and scoring included. */
async function measureEvalThroughput(
  ctx: SpeedContext,
  file: string,
  limit: number,
  d: GridSpec['default'],
): Promise<SpeedResult['evalThroughput']> {
  const { root, base, timeoutMs } = ctx;
  const a = evalArgs({
    task: base.task,
    file,
    modelDir: base.modelDir,
    candidates: d.candidates,
    steps: d.steps,
    limit,
    provider: base.provider,
    threads: base.threads,
  });
  const command = evalCommandLine(root, a);
  const failed = (seconds: number, reason: string, status: 'failed' | 'skipped' = 'failed') => ({
    command,
    sentences: limit,
    seconds,
    sentencesPerSecond: 0,
    status,
    reason,
  });
  if (!fs.existsSync(path.join(root, 'bin', 'diffuseq.js'))) return failed(0, 'bin/diffuseq.js not found', 'skipped');
  log(`throughput: the same through \`${command}\` …`);
  let evalThroughput: NonNullable<SpeedResult['evalThroughput']>;
  try {
    const r = await runEvalCommand(root, a, Math.max(timeoutMs, limit * 30_000));
    if (r.code !== 0) {
      const why = r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      evalThroughput = failed(r.seconds, why);
    } else {
      const rep = parseEvalJson(r.stdout);
      const wall = rep.timing?.wallSeconds;
      evalThroughput = {
        command,
        sentences: rep.examples,
        seconds: r.seconds,
        sentencesPerSecond: rep.examples / r.seconds,
        rewriteSeconds: wall,
        rewriteSentencesPerSecond: wall ? rep.examples / wall : undefined,
        status: 'ok',
      };
    }
  } catch (e) {
    return failed(0, (e as Error).message);
  }
  log(
    `throughput (eval command): ${
      evalThroughput.status === 'ok'
        ? `${evalThroughput.sentencesPerSecond.toFixed(2)} sentences/s with process start, load and scoring; ` +
          `${evalThroughput.rewriteSentencesPerSecond?.toFixed(2) ?? '?'} sentences/s rewriting only`
        : evalThroughput.reason
    }`,
  );
  return evalThroughput;
}
