/**
 * The benchmark plots, from a result file: latency vs steps / candidates / words, BLEU vs steps against the
 * DDPM reference sampler, and BLEU vs self-BLEU.
 */
import type { ConfigResult, QualityResult, QualityRun, SpeedResult } from './schema';
import { ChartSpec, composePanels, Series } from './svg';

function subtitleOf(r: SpeedResult | QualityResult): string {
  const m = r.machine;
  const prov = r.kind === 'speed' ? r.executionProvider : r.provider;
  return `${m.cpuModel}, ${m.cores} cores${m.gpus ? `, ${m.gpus[0]}` : ''} · ${prov} · model ${r.model.name} · ${r.createdAt.slice(0, 10)}`;
}

/** The configurations of one sweep axis, ordered along it. */
export function axisPoints(configs: ConfigResult[], axis: 'words' | 'candidates' | 'steps'): ConfigResult[] {
  return configs.filter((c) => c.axes.includes(axis)).sort((a, b) => a[axis] - b[axis]);
}

function latencySeries(configs: ConfigResult[], axis: 'words' | 'candidates' | 'steps'): Series[] {
  const pts = axisPoints(configs, axis);
  return [
    {
      name: 'median (whiskers min–max)',
      points: pts.map((c) => ({
        x: c[axis],
        y: c.wallMs.median,
        yLow: c.wallMs.min,
        yHigh: c.wallMs.max,
        label: c.wallMs.noisy ? 'noisy' : undefined,
      })),
    },
    { name: 'p95', points: pts.map((c) => ({ x: c[axis], y: c.wallMs.p95 })), dashed: true, marker: 'triangle' },
    { name: 'network only (median)', points: pts.map((c) => ({ x: c[axis], y: c.stagesMs.network })), dashed: true, marker: 'square' },
  ];
}

/** Latency of one rewrite vs steps, candidates and words (three panels), each sweep around the default. */
export function latencyChart(r: SpeedResult): string {
  const d = r.configs.find((c) => c.id === r.defaultId);
  const fixed = (axis: string) =>
    d
      ? axis === 'steps'
        ? `${d.words} words, ${d.candidates} candidates`
        : axis === 'candidates'
          ? `${d.words} words, ${d.steps} steps`
          : `${d.candidates} candidates, ${d.steps} steps`
      : '';
  const footnoteOf = (axis: 'steps' | 'candidates' | 'words') => {
    const noisy = axisPoints(r.configs, axis).filter((c) => c.wallMs.noisy);
    return noisy.length > 0
      ? `⚠ noisy (min–max spread > ${Math.round(r.settings.noisySpread * 100)} % of the median): ${noisy.map((c) => c.id).join(', ')}`
      : undefined;
  };
  const panel = (axis: 'steps' | 'candidates' | 'words', xLabel: string): ChartSpec => ({
    title: `Rewrite latency vs ${axis} (${fixed(axis)})`,
    subtitle: subtitleOf(r),
    xLabel,
    yLabel: 'milliseconds per rewrite',
    // Linear axes: latency should grow linearly in steps and candidates, and the intercept is the fixed cost.
    xScale: 'linear',
    xTicks: axisPoints(r.configs, axis).map((c) => c[axis]),
    series: latencySeries(r.configs, axis),
    footnote: footnoteOf(axis),
    width: 520,
    height: 380,
  });
  return composePanels([panel('steps', 'DPM-Solver++ steps'), panel('candidates', 'candidates'), panel('words', 'source words')], 3);
}

function ok(runs: QualityRun[]): QualityRun[] {
  return runs.filter((x) => x.status === 'ok' && x.bleu !== undefined);
}

/** BLEU vs steps per task: one line per candidate count, and the DDPM reference (T steps) on its subset. */
export function qualityStepsChart(q: QualityResult): string {
  const tasks = [...new Set(q.runs.map((x) => x.task))];
  const panels: ChartSpec[] = tasks.map((task) => {
    const runs = ok(q.runs.filter((x) => x.task === task));
    const series: Series[] = [];
    const cands = [...new Set(runs.filter((x) => x.set === 'sweep').map((x) => x.candidates))].sort((a, b) => a - b);
    for (const c of cands) {
      series.push({
        name: `DPM-Solver++, ${c} cand.${c > 1 ? ' (MBR)' : ''}`,
        points: runs.filter((x) => x.set === 'sweep' && x.sampler === 'dpm' && x.candidates === c).map((x) => ({ x: x.steps, y: x.bleu! })),
      });
    }
    const refDpm = runs.filter((x) => x.set === 'reference' && x.sampler === 'dpm');
    const refDdpm = runs.filter((x) => x.set === 'reference' && x.sampler === 'ddpm');
    const hlines = [];
    if (refDpm.length > 0) {
      series.push({
        name: `DPM-Solver++, ref. subset (n=${refDpm[0].limit})`,
        points: refDpm.map((x) => ({ x: x.steps, y: x.bleu! })),
        dashed: true,
        marker: 'square',
        color: '#555',
      });
    }
    if (refDdpm.length > 0) {
      const x = refDdpm[0];
      series.push({
        name: `DDPM, T=${x.steps} (n=${x.limit})`,
        points: [{ x: x.steps, y: x.bleu! }],
        line: false,
        marker: 'diamond',
        color: '#000',
      });
      hlines.push({ y: x.bleu!, label: `DDPM reference (${x.candidates} cand.)`, color: '#000' });
    }
    const failed = q.runs.filter((x) => x.task === task && x.status !== 'ok').length;
    return {
      title: `${task}: BLEU vs sampling steps`,
      subtitle: subtitleOf(q),
      xLabel: 'network evaluations (solver steps; DDPM: T)',
      yLabel: 'BLEU',
      xScale: 'log',
      xTicks: [...new Set(runs.map((x) => x.steps))].sort((a, b) => a - b),
      series,
      hlines,
      footnote: failed > 0 ? `⚠ ${failed} eval run(s) failed and are missing` : undefined,
      width: 640,
      height: 400,
    } satisfies ChartSpec;
  });
  return composePanels(panels, panels.length);
}

/** BLEU vs self-BLEU (quality vs diversity) per task, one line per candidate count, points labelled by steps. */
export function qualityDiversityChart(q: QualityResult): string {
  const tasks = [...new Set(q.runs.map((x) => x.task))];
  const panels: ChartSpec[] = tasks.map((task) => {
    const runs = ok(q.runs.filter((x) => x.task === task)).filter((x) => x.selfBleu !== undefined && x.candidates > 1);
    const series: Series[] = [];
    const cands = [...new Set(runs.filter((x) => x.set === 'sweep').map((x) => x.candidates))].sort((a, b) => a - b);
    for (const c of cands) {
      series.push({
        name: `${c} candidates`,
        points: runs
          .filter((x) => x.set === 'sweep' && x.sampler === 'dpm' && x.candidates === c)
          .sort((a, b) => a.steps - b.steps)
          .map((x) => ({ x: x.selfBleu!, y: x.bleu!, label: `k=${x.steps}` })),
        line: false,
      });
    }
    const ddpm = runs.filter((x) => x.sampler === 'ddpm');
    if (ddpm.length > 0) {
      series.push({
        name: `DDPM T=${ddpm[0].steps}`,
        points: ddpm.map((x) => ({ x: x.selfBleu!, y: x.bleu!, label: `${x.candidates} cand.` })),
        line: false,
        marker: 'diamond',
        color: '#000',
      });
    }
    return {
      title: `${task}: quality vs diversity`,
      subtitle: subtitleOf(q),
      xLabel: 'self-BLEU among candidates (lower = more diverse)',
      yLabel: 'BLEU (MBR choice vs references)',
      yZero: false,
      series,
      width: 640,
      height: 400,
      footnote: runs.length === 0 ? 'no runs with ≥ 2 candidates and a self-BLEU' : undefined,
    } satisfies ChartSpec;
  });
  return composePanels(panels, panels.length);
}
