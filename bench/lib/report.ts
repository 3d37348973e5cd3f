/**
 * Markdown tables of the benchmark results (printed by the commands, and written into docs/performance.md by
 * `node out/bench/report.js --docs`).
 */
import type { ConfigResult, QualityResult, QualityRun, ResultFile, SpeedResult } from './schema';
import { formatMs, sig, Summary } from './stats';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const flagOf = (s: Summary) => (s.noisy ? '⚠ noisy' : '');
const range = (s: Summary) => `${formatMs(s.min)}–${formatMs(s.max)}`;

export function machineLine(r: SpeedResult | QualityResult): string {
  const m = r.machine;
  const load = m.loadAverageEnd ? `${m.loadAverageStart[0]} → ${m.loadAverageEnd[0]}` : `${m.loadAverageStart[0]}`;
  const gpu = m.gpus ? `, GPU ${m.gpus.join(', ')}` : '';
  const ep =
    r.kind === 'speed' ? `${r.executionProvider}${r.provider !== r.executionProvider ? ` (asked: ${r.provider})` : ''}` : r.provider;
  return (
    `Machine: **${m.cpuModel}, ${m.cores} cores**${gpu}, ${m.totalMemoryGiB} GiB, ${m.platform}/${m.arch}, Node ${m.node}, ` +
    `onnxruntime-node ${m.onnxruntime ?? '?'}; provider **${ep}**; 1-min load average ${load}. ` +
    `Model **${r.model.name}** (${r.model.dir}${r.model.parameters ? `, ${sig(r.model.parameters / 1e6, 3)} M parameters` : ''}${r.model.diffusionSteps ? `, T = ${r.model.diffusionSteps}` : ''}). ` +
    `Measured ${r.createdAt.slice(0, 16).replace('T', ' ')} UTC in ${Math.round(r.durationS / 60)} min.`
  );
}

function configRow(c: ConfigResult, defaultId: string): string {
  const name = c.id === defaultId ? `**${c.id}** (default)` : c.id;
  return (
    `| ${name} | ${c.words} | ${c.candidates} | ${c.steps} | ${formatMs(c.wallMs.median)} | ${formatMs(c.wallMs.p95)} | ${range(c.wallMs)} | ${formatMs(c.cpuMs.median)} | ` +
    `${c.wallMs.n} | ${pct(c.overhead.median)} | ${c.segments} | ${c.rss.peakMiB} | ${flagOf(c.wallMs)} |`
  );
}

export function speedMarkdown(r: SpeedResult): string {
  const out: string[] = [];
  out.push(machineLine(r), '');
  const d = r.configs.find((c) => c.id === r.defaultId);
  out.push('| measure | value |', '|---|---|');
  if (d) {
    out.push(
      `| one rewrite, default (${d.words} words, ${d.candidates} candidates, ${d.steps} steps) | median ${formatMs(d.wallMs.median)}, p95 ${formatMs(d.wallMs.p95)} (${range(d.wallMs)}, n=${d.wallMs.n}) ${flagOf(d.wallMs)} |`,
    );
  }
  out.push(
    `| engine overhead (1 − network / total), default | ${pct(r.overhead.atDefault)} (target ≤ ${pct(r.overhead.target)}: ${r.overhead.pass ? 'met' : '**not met**'}); worst ${pct(r.overhead.worst)} at ${r.overhead.worstId} |`,
  );
  if (r.reference) {
    const s = r.reference.speedup;
    out.push(
      `| DDPM (T = ${r.reference.ddpm.steps} steps) / DPM-Solver++ (${r.reference.dpm.steps} steps), same ${r.reference.words}-word input, ${r.reference.candidates} candidate(s) | ×${sig(s.ratio, 3)} faster (range ×${sig(s.low, 3)}–×${sig(s.high, 3)}${s.high / s.low > 1.5 ? ', ⚠ noisy' : ''})${r.reference.speedupCpu ? `; by CPU time ×${sig(r.reference.speedupCpu.ratio, 3)} (×${sig(r.reference.speedupCpu.low, 3)}–×${sig(r.reference.speedupCpu.high, 3)})` : ''}; DDPM ${formatMs(r.reference.ddpm.wallMs.median)} (n=${r.reference.ddpm.wallMs.n}) vs ${formatMs(r.reference.dpm.wallMs.median)} |`,
    );
  }
  out.push(
    `| model load (RewriteEngine.load) | median ${formatMs(r.loadMs.median)}, p95 ${formatMs(r.loadMs.p95)} (${range(r.loadMs)}, n=${r.loadMs.n}) ${flagOf(r.loadMs)} |`,
  );
  if (r.activation.status === 'ok' && r.activation.totalMs && r.activation.moduleMs) {
    const a = r.activation;
    out.push(
      `| extension activation (module evaluation + activate(), in ${a.host ?? 'a VS Code extension host'}) | median ${formatMs(a.totalMs!.median)} (${range(a.totalMs!)}, n=${a.totalMs!.n}): module ${formatMs(a.moduleMs!.median)}, activate() ${formatMs(a.activateMs!.median)}; VS Code preparing the context ${formatMs(a.contextMs!.median)} ${flagOf(a.totalMs!)} |`,
    );
  } else if (r.activation.status === 'ok' && r.activation.totalMs) {
    // Results before 2026-12-06: measured in plain Node with a stub `vscode`.
    const a = r.activation;
    out.push(
      `| extension activation (require + activate, stub vscode) | median ${formatMs(a.totalMs!.median)} (${range(a.totalMs!)}, n=${a.totalMs!.n}): require ${formatMs(a.requireMs!.median)}, activate() ${formatMs(a.activateMs!.median)} ${flagOf(a.totalMs!)} |`,
    );
  } else {
    out.push(`| extension activation | ${r.activation.status}: ${r.activation.reason ?? ''} |`);
  }
  if (r.throughput) {
    const t = r.throughput;
    out.push(
      `| throughput, ${t.sentences} sentences of ${t.file} (${t.candidates} candidates, ${t.steps} steps), rewrite() one by one | ${sig(t.sequential.sentencesPerSecond, 3)} sentences/s (${sig(t.sequential.seconds, 3)} s, load excluded) |`,
    );
    if (t.batch) {
      out.push(
        `| the same through rewriteBatch(), 16 sources per call sorted by length (as \`eval\`) | ${sig(t.batch.sentencesPerSecond, 3)} sentences/s (${sig(t.batch.seconds, 3)} s, load excluded) |`,
      );
    }
  }
  if (r.evalThroughput) {
    const e = r.evalThroughput;
    out.push(
      `| the same through the \`eval\` command | ${
        e.status === 'ok'
          ? `${e.rewriteSentencesPerSecond !== undefined ? `${sig(e.rewriteSentencesPerSecond, 3)} sentences/s rewriting (eval's own timing); ` : ''}${sig(e.sentencesPerSecond, 3)} sentences/s for the whole command (${sig(e.seconds, 3)} s: process start, model load and scoring included)`
          : `${e.status}: ${e.reason ?? ''}`
      } |`,
    );
  }
  out.push(
    `| peak RSS of an engine process (max over configurations) | ${r.peakRssMiB} MiB (Node alone: ${d?.rss.baselineMiB ?? '?'} MiB; after load: ${d?.rss.afterLoadMiB ?? '?'} MiB) |`,
  );
  out.push('');
  if (d) {
    const t = d.stagesMs;
    const share = (x: number) => (t.total > 0 ? pct(x / t.total) : '–');
    out.push(
      `Where the time of the default rewrite goes (engine timings, medians): network ${formatMs(t.network)} (${share(t.network)}), ` +
        `tokenizer ${formatMs(t.tokenize)} (${share(t.tokenize)}), solver ${formatMs(t.solver)} (${share(t.solver)}), ` +
        `rounding ${formatMs(t.rounding)} (${share(t.rounding)}), MBR ${formatMs(t.mbr)} (${share(t.mbr)}); total ${formatMs(t.total)}.`,
      '',
    );
  }
  out.push(
    'Per configuration: wall time of one rewrite (median, p95, min–max over n timed runs after warm-up), process CPU time ' +
      '(all threads; much below wall × threads means other work competed for the cores), engine overhead, segments the ' +
      'input was split into, and peak RSS of the measuring process (load included).',
    '',
  );
  out.push(
    '| configuration | words | cand. | steps | median | p95 | min–max | CPU | n | overhead | segments | peak RSS MiB | |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const c of r.configs) out.push(configRow(c, r.defaultId));
  if (r.notes.length > 0) {
    out.push('', ...r.notes.map((n) => `- ⚠ ${n}`));
  }
  return out.join('\n');
}

function fmtBleu(x: number | undefined): string {
  return x === undefined ? '–' : String(sig(x, 3));
}

export function qualityMarkdown(q: QualityResult): string {
  const out: string[] = [machineLine(q), ''];
  out.push(
    `Sweep: first ${q.settings.limit} sentences of each test file; reference: first ${q.settings.referenceLimit}. Cells: BLEU (self-BLEU among candidates).`,
    '',
  );
  const tasks = [...new Set(q.runs.map((x) => x.task))];
  for (const task of tasks) {
    const runs = q.runs.filter((x) => x.task === task);
    const cands = [...new Set(runs.filter((x) => x.set === 'sweep').map((x) => x.candidates))].sort((a, b) => a - b);
    const steps = [...new Set(runs.filter((x) => x.set === 'sweep').map((x) => x.steps))].sort((a, b) => a - b);
    out.push(`**${task}** (${q.settings.tasks[task] ?? ''})`, '');
    out.push(`| steps | ${cands.map((c) => `${c} cand.`).join(' | ')} |`, `|---:|${cands.map(() => '---:').join('|')}|`);
    const cell = (x: QualityRun | undefined) =>
      !x
        ? ''
        : x.status !== 'ok'
          ? 'failed'
          : `${fmtBleu(x.bleu)}${x.selfBleu !== undefined && x.candidates > 1 ? ` (${fmtBleu(x.selfBleu)})` : ''}`;
    for (const k of steps) {
      out.push(
        `| ${k} | ${cands.map((c) => cell(runs.find((x) => x.set === 'sweep' && x.sampler === 'dpm' && x.steps === k && x.candidates === c))).join(' | ')} |`,
      );
    }
    const ref = runs.filter((x) => x.set === 'reference');
    if (ref.length > 0) {
      out.push('', `Reference subset (first ${ref[0].limit} sentences, DPM-Solver++ and DDPM on the same sentences):`, '');
      out.push('| sampler | steps | cand. | BLEU | self-BLEU | sentences/s |', '|---|---:|---:|---:|---:|---:|');
      for (const x of ref.sort((a, b) => a.steps - b.steps)) {
        out.push(
          `| ${x.sampler === 'ddpm' ? 'DDPM' : 'DPM-Solver++'} | ${x.steps} | ${x.candidates} | ${x.status === 'ok' ? fmtBleu(x.bleu) : 'failed'} | ${fmtBleu(x.candidates > 1 ? x.selfBleu : undefined)} | ${x.sentencesPerSecond !== undefined ? sig(x.sentencesPerSecond, 3) : '–'} |`,
        );
      }
    }
    out.push('');
  }
  if (q.notes.length > 0) out.push(...q.notes.map((n) => `- ⚠ ${n}`));
  return out.join('\n');
}

export const DOCS_BEGIN = '<!-- bench-results:begin (written by `node out/bench/report.js --docs`; edits inside are overwritten) -->';
export const DOCS_END = '<!-- bench-results:end -->';

/** Replaces the marked results section of a docs page (or appends one when the markers are absent). */
export function replaceDocsSection(doc: string, content: string): string {
  const b = doc.indexOf('<!-- bench-results:begin');
  const e = doc.indexOf(DOCS_END);
  const block = `${DOCS_BEGIN}\n${content.trim()}\n${DOCS_END}`;
  if (b >= 0 && e > b) {
    return doc.slice(0, b) + block + doc.slice(e + DOCS_END.length);
  }
  return `${doc.trimEnd()}\n\n${block}\n`;
}

/** The newest result file per machine slug (files must be newest first). */
export function latestPerMachine(files: Array<{ file: string; data: ResultFile }>): Array<{ file: string; data: ResultFile }> {
  const seen = new Set<string>();
  const out: Array<{ file: string; data: ResultFile }> = [];
  for (const f of files) {
    if (!seen.has(f.data.machine)) {
      seen.add(f.data.machine);
      out.push(f);
    }
  }
  return out;
}
