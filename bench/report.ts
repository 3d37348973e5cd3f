/**
 * Re-renders the plots of every result file in bench/results and prints the markdown tables of the newest speed
 * and quality results of each machine (CPU and GPU runs are separate machines, so they appear side by side).
 *
 *   node out/bench/report.js [--dir bench/results] [--docs] [--any-model]
 *
 * --docs writes the tables and plot links into docs/performance.md between its bench-results markers. Only
 * results measured on the shipped model (models/default) are used unless --any-model is given, so that figures
 * of a development model never land in the docs by accident.
 */
import * as fs from 'fs';
import * as path from 'path';
import { flag, parseArgs, str } from './lib/args';
import { repoRoot } from './lib/engine';
import { log } from './lib/log';
import { latencyChart, qualityDiversityChart, qualityStepsChart } from './lib/plots';
import { qualityMarkdown, replaceDocsSection, speedMarkdown } from './lib/report';
import { listResultFiles, QualityResult, SpeedResult } from './lib/schema';

function main(): void {
  const args = parseArgs(process.argv.slice(2), ['docs', 'any-model', 'help'], ['dir', 'doc'], 'node out/bench/report.js');
  if (flag(args, 'help')) {
    log('usage: node out/bench/report.js [--dir bench/results] [--docs [--doc docs/performance.md]] [--any-model]');
    return;
  }
  const root = repoRoot();
  const dir = path.resolve(str(args, 'dir') ?? path.join(root, 'bench', 'results'));
  const files = listResultFiles(dir, log);
  if (files.length === 0) {
    log(`report: no result files in ${path.relative(root, dir) || dir}`);
    process.exitCode = 1;
    return;
  }
  const anyModel = flag(args, 'any-model');
  const isShipped = (r: SpeedResult | QualityResult) => anyModel || r.model.dir.replace(/\\/g, '/').replace(/\/$/, '') === 'models/default';
  const speeds: Array<{ stem: string; r: SpeedResult }> = [];
  const qualities: Array<{ stem: string; r: QualityResult }> = [];
  const seenSpeed = new Set<string>();
  const seenQuality = new Set<string>();
  // Files are newest first: keep the newest section of each kind per machine.
  for (const { file, data } of files) {
    const stem = path.basename(file, '.json');
    if (data.speed) {
      fs.writeFileSync(path.join(dir, `${stem}.latency.svg`), latencyChart(data.speed));
      if (!seenSpeed.has(data.machine) && isShipped(data.speed)) {
        seenSpeed.add(data.machine);
        speeds.push({ stem, r: data.speed });
      }
    }
    if (data.quality) {
      fs.writeFileSync(path.join(dir, `${stem}.quality-steps.svg`), qualityStepsChart(data.quality));
      fs.writeFileSync(path.join(dir, `${stem}.quality-diversity.svg`), qualityDiversityChart(data.quality));
      if (!seenQuality.has(data.machine) && isShipped(data.quality)) {
        seenQuality.add(data.machine);
        qualities.push({ stem, r: data.quality });
      }
    }
  }
  const docPath = path.resolve(str(args, 'doc') ?? path.join(root, 'docs', 'performance.md'));
  const rel = (f: string) => path.relative(path.dirname(docPath), path.join(dir, f)).replace(/\\/g, '/');
  const out: string[] = [];
  // CPU figures first, then GPU providers.
  speeds.sort((a, b) => Number(a.r.executionProvider !== 'cpu') - Number(b.r.executionProvider !== 'cpu'));
  qualities.sort((a, b) => Number(a.r.provider !== 'cpu') - Number(b.r.provider !== 'cpu'));
  for (const { stem, r } of speeds) {
    out.push(
      `### Speed — ${r.machine.cpuModel}${r.machine.gpus ? ` + ${r.machine.gpus[0]}` : ''}, ${r.executionProvider} (\`${stem}.json\`)`,
      '',
    );
    out.push(speedMarkdown(r), '');
    out.push(`![latency vs steps, candidates and words](${rel(`${stem}.latency.svg`)})`, '');
  }
  for (const { stem, r } of qualities) {
    out.push(`### Quality — ${r.machine.cpuModel}${r.machine.gpus ? ` + ${r.machine.gpus[0]}` : ''}, ${r.provider} (\`${stem}.json\`)`, '');
    out.push(qualityMarkdown(r), '');
    out.push(`![BLEU vs steps against the DDPM reference](${rel(`${stem}.quality-steps.svg`)})`, '');
    out.push(`![BLEU vs self-BLEU](${rel(`${stem}.quality-diversity.svg`)})`, '');
  }
  if (out.length === 0) {
    log(`report: plots re-rendered; no results of models/default in ${path.relative(root, dir)} (use --any-model to show others)`);
    if (flag(args, 'docs')) process.exitCode = 1;
    return;
  }
  const md = out.join('\n');
  process.stdout.write(`${md}\n`);
  if (flag(args, 'docs')) {
    const doc = fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : '# Performance\n';
    fs.writeFileSync(docPath, replaceDocsSection(doc, md));
    log(`report: wrote the results section of ${path.relative(root, docPath)}`);
  }
}

main();
