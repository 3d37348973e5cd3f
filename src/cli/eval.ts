/** `diffuseq eval`: evaluate the model on a .jsonl file. */
import { evaluate, readEvalData, type EvalReport, type QualityScores } from '../engine';
import { type CommandIo, intFlag, parseCommandLine, usageError } from '../common/commandLine';
import { checkOutputFile, writeFileAtomic } from '../common/outputFile';
import { loadEngine, resolveModelDir } from './loadModel';
import { fmt, ms } from './numberFormat';
import { SAMPLING_OPTIONS, samplingChoices, samplingFlags } from './samplingFlags';

export const EVAL_HELP = `usage: diffuseq eval --task paraphrase|simplify --data FILE.jsonl [options]

Rewrites every "src" of FILE.jsonl ({"src","trg"} or {"src","refs":[...]} per line) and reports BLEU, ROUGE-L,
dist-1, SARI (simplify) with and without MBR, the diversity of the candidate sets (self-BLEU, div-4), compression
ratio, the share of outputs identical to the input, the oracle of N (the best candidate chosen with the
reference), the shares of MBR choices and of all candidates with an invented word (in neither the model's word
list nor the input) or a repeated word, what the constraints changed, and wall time per sentence.

options:
  --task T             paraphrase or simplify (required)
  --data FILE          the .jsonl file (required)
  --model DIR          model package folder (default: $DIFFUSEQ_MODEL, else models/default)
  --limit M            only the first M examples
  --candidates N       candidates per source, 1-64 (default 8)
  --steps K            solver steps, 1-50 for dpm (default 10); ddpm: 1..T (default T)
  --order 1|2|3        DPM-Solver++ order (default 2)
  --sampler dpm|ddpm   sampler (default dpm)
  --noise gaussian|absorbing   starting noise of the target part (default gaussian)
  --solver textbook|x0-reset   DPM-Solver++ variant (default textbook)
  --seed S             seed (default 0, so runs are comparable)
  --batch B            sources per batch (default 16; sources of equal length share a network call)
  --provider P         auto|cpu|cuda|dml|webgpu|coreml (default auto)
  --threads N          onnxruntime intra-op threads
  --unconstrained      score the rounding's raw argmax (no word-list constraint, no repeat collapse)
  --json               print the report as JSON (without the per-example outputs)
  --out FILE           write the full report with every output as JSON to FILE
  --verbose            progress and the execution-provider choice on stderr
  -h, --help           this help
`;

export async function evalMain(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandLine('eval', argv, {
    ...SAMPLING_OPTIONS,
    data: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(EVAL_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw usageError('eval', `unexpected argument ${JSON.stringify(positionals[0])} (see diffuseq eval --help)`);
  }
  const f = samplingFlags('eval', values);
  if (typeof values.data !== 'string' || values.data === '') {
    throw usageError('eval', '--data FILE.jsonl is required');
  }
  const limit = intFlag('eval', 'limit', values.limit, 1, Number.MAX_SAFE_INTEGER);
  const batch = intFlag('eval', 'batch', values.batch, 1, 4096);
  const outFile = typeof values.out === 'string' ? values.out : undefined;
  if (outFile === '') {
    throw usageError('eval', '--out needs a file name');
  }
  // Check where the report goes and read the data before loading the model: a bad path or file fails fast.
  if (outFile) checkOutputFile(outFile);
  const examples = readEvalData(values.data, limit);
  const model = resolveModelDir(f.model, io.env);
  const engine = await loadEngine('eval', model, f, io);
  let report: EvalReport;
  try {
    report = await evaluate(engine, examples, values.data, {
      ...samplingChoices(f),
      batchSources: batch,
      keepCandidates: outFile !== undefined,
      signal,
      onProgress: f.verbose ? (d, n) => io.stderr.write(`diffuseq: ${d}/${n}\n`) : undefined,
    });
  } finally {
    await engine.dispose();
  }
  // The report is printed first: should the file fail after all (a disk filled meanwhile), the run is not lost.
  if (f.json) {
    const { results: _results, ...summary } = report;
    io.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    io.stdout.write(formatReport(report));
  }
  if (outFile) writeFileAtomic(outFile, JSON.stringify(report, null, 2) + '\n');
  return 0;
}

export function formatReport(r: EvalReport): string {
  const o = r.options;
  const lines = [
    `model ${r.model.name} (${r.model.dir}), ${r.task}, ${r.examples} examples from ${r.data}`,
    `sampler ${o.sampler}${o.sampler === 'dpm' ? ` order ${o.order} (${o.solverVariant})` : ''}, ${o.steps} steps, ` +
      `${o.candidates} candidates, noise ${o.noiseInit}, seed ${o.seed}, ${o.constrain ? 'constrained' : 'unconstrained'}, ` +
      `on ${r.executionProvider}`,
    '',
    `                 ${'MBR'.padStart(8)} ${'single'.padStart(8)} ${'copy'.padStart(8)}`,
  ];
  const row = (name: string, k: keyof QualityScores, digits = 4) => {
    const a = r.mbr[k];
    const b = r.single[k];
    const c = r.copy[k];
    if (a === undefined || b === undefined || c === undefined) {
      return;
    }
    lines.push(`  ${name.padEnd(15)}${fmt(a, digits).padStart(8)} ${fmt(b, digits).padStart(8)} ${fmt(c, digits).padStart(8)}`);
  };
  row('BLEU', 'bleu');
  row('BLEU hyp→ref', 'bleuHypRef');
  row('BLEU to source', 'bleuToSource');
  row('iBLEU', 'ibleu');
  row('ROUGE-L', 'rougeL');
  if (r.mbr.sari !== undefined) {
    row('SARI', 'sari', 2);
  }
  row('dist-1', 'dist1');
  row('compression', 'compressionRatio', 3);
  row('identical', 'identicalToInput', 3);
  row('words', 'meanWords', 1);
  lines.push(`  oracle of ${o.candidates} BLEU ${fmt(r.oracle.bleu, 4)} (the best candidate, chosen with the reference)`);
  const w = r.words;
  const pct = (v: number | null) => (v === null ? 'n/a (no word list)' : `${(100 * v).toFixed(1)} %`);
  lines.push(`  invented word: ${pct(w.inventedMbr)} of MBR choices, ${pct(w.inventedCandidates)} of all candidates`);
  lines.push(`  repeated word: ${pct(w.repeatedMbr)} of MBR choices, ${pct(w.repeatedCandidates)} of all candidates`);
  const c = r.constraints;
  lines.push(
    `  constraints: ${c.inventedWordsReplaced} invented words replaced, ${c.repeatsCollapsed} repeats collapsed, ` +
      `${c.candidatesChanged} candidates changed`,
  );
  lines.push('');
  lines.push(
    `diversity per source set: self-BLEU ${fmt(r.diversity.selfBleu, 4)}, div-4 ${fmt(r.diversity.div4, 4)}, ` +
      `dist-1 ${fmt(r.diversity.dist1, 4)}`,
  );
  const s = r.timing.stages;
  lines.push(
    `time: ${r.timing.wallSeconds.toFixed(1)} s, ${ms(r.timing.msPerSentence)} per sentence ` +
      `(per sentence: network ${ms(s.network)}, solver ${ms(s.solver)}, rounding ${ms(s.rounding)}, mbr ${ms(s.mbr)})`,
  );
  for (const w of r.warnings.slice(0, 5)) {
    lines.push(`warning: ${w}`);
  }
  return lines.join('\n') + '\n';
}
