/** `diffuseq rewrite`: rewrite one text (argument or standard input) and print the candidates. */
import type { RewriteOptions, RewriteResult } from '../engine';
import { type CommandIo, parseCommandLine, usageError } from '../common/commandLine';
import { loadEngine, resolveModelDir } from './loadModel';
import { fmt, ms } from './numberFormat';
import { readAllText } from './readInput';
import { SAMPLING_OPTIONS, samplingChoices, samplingFlags } from './samplingFlags';
import { progressReporter } from './progress';

export const REWRITE_HELP = `usage: diffuseq rewrite --task paraphrase|simplify [options] "text"
       echo "text" | diffuseq rewrite --task simplify [options]

Rewrites the text with the local DiffuSeq-v2 model and prints the candidates, the MBR choice first.

options:
  --task T             paraphrase or simplify (required; must be one of the model's tasks)
  --model DIR          model package folder (default: $DIFFUSEQ_MODEL, else models/default)
  --candidates N       candidates sampled from different noise, 1-64 (default 8)
  --steps K            solver steps, 1-50 for dpm (default 10); ddpm: 1..T (default T)
  --order 1|2|3        DPM-Solver++ order (default 2)
  --sampler dpm|ddpm   DPM-Solver++ (default) or DiffuSeq's ancestral DDPM sampler
  --noise gaussian|absorbing   starting noise of the target part (default gaussian)
  --solver textbook|x0-reset   DPM-Solver++ as published, or DiffuSeq-v2's variant (default textbook)
  --seed S             seed for reproducible candidates (default: random)
  --provider P         auto|cpu|cuda|dml|webgpu|coreml (default auto)
  --threads N          onnxruntime intra-op threads (default: onnxruntime's choice)
  --unconstrained      show the rounding's raw argmax: no word-list constraint, no repeat collapse
  --json               print {"candidates":[{"text","mbrScore"}],"mbrIndex","droppedCandidates","diversity",
                       "constraints","timings","executionProvider","warnings"}; "constraints" counts the invented
                       words replaced, the repeats collapsed and the candidates these changed
  --verbose            log the execution-provider choice and the progress to stderr (on a terminal the
                       progress is shown anyway, on one line)
  -h, --help           this help
`;

export async function rewriteMain(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandLine('rewrite', argv, SAMPLING_OPTIONS);
  if (values.help) {
    io.stdout.write(REWRITE_HELP);
    return 0;
  }
  const f = samplingFlags('rewrite', values);
  let text: string;
  if (positionals.length > 0) {
    text = positionals.join(' ');
  } else {
    const stdin = io.stdin ?? process.stdin;
    if (stdin.isTTY) {
      throw usageError('rewrite', 'no text: give it as an argument or on standard input');
    }
    const read = await readAllText(stdin);
    text = read.text;
    if (read.invalid > 0) {
      io.stderr.write(
        `warning: standard input is not valid UTF-8: ${read.invalid} invalid byte sequence${read.invalid === 1 ? ' was' : 's were'} replaced by "\uFFFD"\n`,
      );
    }
    // A trailing newline from `echo` is not part of the text.
    text = text.replace(/\r?\n$/, '');
  }
  if (text.trim() === '') {
    throw usageError('rewrite', 'nothing to rewrite: the text is empty');
  }
  const model = resolveModelDir(f.model, io.env);
  const engine = await loadEngine('rewrite', model, f, io);
  try {
    const progress = progressReporter(io.stderr, { tty: !!io.stderr.isTTY && !f.json, verbose: f.verbose });
    const opts: RewriteOptions = { ...samplingChoices(f), signal, onProgress: progress.onProgress };
    let r: RewriteResult;
    try {
      r = await engine.rewrite(text, opts);
    } finally {
      progress.done();
    }
    if (f.json) {
      io.stdout.write(JSON.stringify(toJson(r)) + '\n');
    } else {
      io.stdout.write(formatHuman(r));
      for (const w of r.warnings) {
        io.stderr.write(`warning: ${w}\n`);
      }
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}

/** The --json object. */
export function toJson(r: RewriteResult): Record<string, unknown> {
  return {
    candidates: r.candidates.map((c) => ({ text: c.text, mbrScore: c.mbrScore })),
    mbrIndex: r.mbrIndex,
    droppedCandidates: r.droppedCandidates,
    diversity: r.diversity,
    constraints: r.constraints,
    timings: r.timings,
    executionProvider: r.executionProvider,
    warnings: r.warnings,
  };
}

/** Human output: the MBR choice first and marked, then the others by score, then diversity and timings. */
export function formatHuman(r: RewriteResult): string {
  const lines: string[] = [];
  const order = r.candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.i === r.mbrIndex ? -1 : b.i === r.mbrIndex ? 1 : b.c.mbrScore - a.c.mbrScore || a.i - b.i));
  const show = (s: string) => s.trim().replace(/\n/g, '\n      ');
  for (const { c, i } of order) {
    const mark = i === r.mbrIndex ? '*' : ' ';
    lines.push(`${mark} [${i + 1}] ${show(c.text)}`);
    lines.push(`      MBR score ${fmt(c.mbrScore)}${i === r.mbrIndex ? ' (chosen)' : ''}`);
  }
  const d = r.diversity;
  lines.push('');
  if (r.droppedCandidates > 0) {
    lines.push(
      `${r.droppedCandidates} candidate${r.droppedCandidates === 1 ? '' : 's'} dropped: lost a protected span (link, code, number…)`,
    );
  }
  lines.push(`diversity: self-BLEU ${fmt(d.selfBleu)} (lower = more diverse), div-4 ${fmt(d.div4)}, dist-1 ${fmt(d.dist1)}`);
  const t = r.timings;
  lines.push(
    `time: ${ms(t.total)} on ${r.executionProvider} (network ${ms(t.network)}, solver ${ms(t.solver)}, ` +
      `rounding ${ms(t.rounding)}, tokenize ${ms(t.tokenize)}, mbr ${ms(t.mbr)})` +
      (r.segments > 1 ? `, ${r.segments} segments` : ''),
  );
  return lines.join('\n') + '\n';
}
