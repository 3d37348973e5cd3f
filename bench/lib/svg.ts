/**
 * A small dependency-free SVG line/scatter chart renderer for the benchmark plots: linear or log axes with
 * "nice" ticks, several series with markers, optional error whiskers (e.g. min–max or median–p95), horizontal
 * reference lines, point labels and a legend. Output is deterministic (same input, same bytes), so the plots
 * diff cleanly in git.
 */

export type ScaleType = 'linear' | 'log';

export interface Point {
  x: number;
  y: number;
  /** Whisker from yLow to yHigh (both or neither). */
  yLow?: number;
  yHigh?: number;
  /** A short text drawn next to the point. */
  label?: string;
}

export interface Series {
  name: string;
  points: Point[];
  /** Draw the connecting line (default true); false gives a scatter. */
  line?: boolean;
  dashed?: boolean;
  marker?: 'circle' | 'square' | 'diamond' | 'triangle';
  /** Explicit colour; palette order otherwise. */
  color?: string;
}

export interface HLine {
  y: number;
  label: string;
  color?: string;
}

export interface ChartSpec {
  title: string;
  /** A smaller second line under the title (machine, model, date…). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xScale?: ScaleType;
  yScale?: ScaleType;
  /** Explicit x ticks (e.g. exactly the measured values); otherwise nice ticks. */
  xTicks?: number[];
  /** Force axis ranges (otherwise from the data, padded). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Make the y axis start at 0 for a linear scale (default true). */
  yZero?: boolean;
  series: Series[];
  hlines?: HLine[];
  width?: number;
  height?: number;
  /** Footnote under the plot (e.g. "⚠ noisy: wide min–max in 3 points"). */
  footnote?: string;
}

export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Rounds for SVG coordinates (2 decimals, no "-0"). */
function r(x: number): string {
  const v = Math.round(x * 100) / 100;
  return String(v === 0 ? 0 : v);
}

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) giving about `count` ticks over [lo, hi]. */
export function niceStep(lo: number, hi: number, count = 5): number {
  const span = Math.abs(hi - lo);
  if (span === 0 || !Number.isFinite(span)) {
    return 1;
  }
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return nice * mag;
}

/** Linear ticks: multiples of a nice step covering [lo, hi]; returns the ticks and the widened domain. */
export function linearTicks(lo: number, hi: number, count = 5): { ticks: number[]; domain: [number, number] } {
  if (lo === hi) {
    if (lo === 0) {
      hi = 1; // all zeros (e.g. BLEU of an untrained model): [0, 1], not [-1, 1]
    } else {
      const d = Math.abs(lo) * 0.1;
      lo -= d;
      hi += d;
    }
  }
  const step = niceStep(lo, hi, count);
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step * 1e-6; v += step) {
    ticks.push(Math.round(v / step) * step);
  }
  return { ticks: ticks.map((t) => Number(t.toPrecision(12))), domain: [start, end] };
}

/** Log ticks at 1, 2, 5 × 10^k (or only powers of ten when the range spans more than 4 decades). */
export function logTicks(lo: number, hi: number): { ticks: number[]; domain: [number, number] } {
  if (!(lo > 0) || !(hi > 0)) {
    throw new Error('log scale needs positive values');
  }
  if (lo === hi) {
    lo /= 2;
    hi *= 2;
  }
  const kLo = Math.floor(Math.log10(lo) + 1e-9);
  const kHi = Math.ceil(Math.log10(hi) - 1e-9);
  const mults = Math.log10(hi / lo) > 4 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let k = kLo; k <= kHi; k++) {
    for (const m of mults) {
      const v = Number((m * Math.pow(10, k)).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) {
        ticks.push(v);
      }
    }
  }
  // Keep the data range exactly (log plots look best hugging the data), ticks inside it.
  return { ticks, domain: [lo, hi] };
}

/** Tick text: integers as such, otherwise up to 3 significant digits; thousands as "2k". */
export function tickLabel(v: number): string {
  if (v === 0) {
    return '0';
  }
  const a = Math.abs(v);
  if (a >= 10000 && Number.isInteger(v / 1000)) {
    return `${v / 1000}k`;
  }
  if (Number.isInteger(v)) {
    return String(v);
  }
  return String(Number(v.toPrecision(3)));
}

interface Axis {
  map: (v: number) => number;
  ticks: number[];
}

function makeAxis(
  values: number[],
  scale: ScaleType,
  rangeLo: number,
  rangeHi: number,
  forced: [number, number] | undefined,
  zero: boolean,
): Axis {
  let lo: number;
  let hi: number;
  if (forced) {
    [lo, hi] = forced;
  } else if (values.length === 0) {
    [lo, hi] = scale === 'log' ? [1, 10] : [0, 1];
  } else {
    lo = Math.min(...values);
    hi = Math.max(...values);
    if (scale === 'linear' && zero) {
      lo = Math.min(0, lo);
    }
  }
  if (scale === 'log') {
    const { ticks, domain } = logTicks(lo, hi);
    const a = Math.log10(domain[0]);
    const b = Math.log10(domain[1]);
    const span = b - a || 1;
    // 4 % padding on both ends so markers at the extremes are not cut.
    const pad = span * 0.04;
    return { ticks, map: (v) => rangeLo + ((Math.log10(v) - (a - pad)) / (span + 2 * pad)) * (rangeHi - rangeLo) };
  }
  const { ticks, domain } = forced
    ? { ticks: linearTicks(lo, hi).ticks.filter((t) => t >= lo && t <= hi), domain: [lo, hi] as [number, number] }
    : linearTicks(lo, hi);
  const span = domain[1] - domain[0] || 1;
  return { ticks, map: (v) => rangeLo + ((v - domain[0]) / span) * (rangeHi - rangeLo) };
}

function marker(kind: Series['marker'], x: number, y: number, color: string): string {
  const s = 3.5;
  switch (kind) {
    case 'square':
      return `<rect x="${r(x - s)}" y="${r(y - s)}" width="${r(2 * s)}" height="${r(2 * s)}" fill="${color}"/>`;
    case 'diamond':
      return `<path d="M${r(x)},${r(y - s - 1)}L${r(x + s + 1)},${r(y)}L${r(x)},${r(y + s + 1)}L${r(x - s - 1)},${r(y)}Z" fill="${color}"/>`;
    case 'triangle':
      return `<path d="M${r(x)},${r(y - s - 1)}L${r(x + s + 1)},${r(y + s)}L${r(x - s - 1)},${r(y + s)}Z" fill="${color}"/>`;
    default:
      return `<circle cx="${r(x)}" cy="${r(y)}" r="${s}" fill="${color}"/>`;
  }
}

/** Renders a chart as a standalone SVG document. */
export function renderChart(spec: ChartSpec): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderChartElement(spec, 0, 0)}\n`;
}

/** The chart as an `<svg>` element placed at (x, y), for composing panels. */
export function renderChartElement(spec: ChartSpec, x0: number, y0: number): string {
  const width = spec.width ?? 560;
  const height = spec.height ?? 360;
  const xScale = spec.xScale ?? 'linear';
  const yScale = spec.yScale ?? 'linear';
  const top = spec.subtitle ? 48 : 34;
  const left = 62;
  const right = 16;
  const plotW = width - left - right;
  // Legend: rows of items under the x-axis label.
  const legendItems = spec.series.map((s, i) => ({ s, i, w: 30 + s.name.length * 6 }));
  const legendRows: Array<typeof legendItems> = [];
  for (const it of legendItems) {
    const row = legendRows[legendRows.length - 1];
    if (row && row.reduce((a, x) => a + x.w, 0) + it.w <= plotW) row.push(it);
    else legendRows.push([it]);
  }
  const bottom = 44 + legendRows.length * 16 + (spec.footnote ? 16 : 0);
  const plotH = height - top - bottom;

  const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series) {
    for (const p of s.points) {
      if (finite(p.x) && finite(p.y)) {
        xs.push(p.x);
        ys.push(p.y);
        if (finite(p.yLow)) ys.push(p.yLow);
        if (finite(p.yHigh)) ys.push(p.yHigh);
      }
    }
  }
  for (const h of spec.hlines ?? []) {
    if (finite(h.y)) ys.push(h.y);
  }
  // 8 px inside the frame so that markers at the ends of the data are not cut.
  const xAxis = makeAxis(xScale === 'log' ? xs.filter((v) => v > 0) : xs, xScale, left + 8, left + plotW - 8, spec.xDomain, false);
  if (spec.xTicks) {
    xAxis.ticks = spec.xTicks.filter((t) => xScale !== 'log' || t > 0);
  }
  const yAxis = makeAxis(
    yScale === 'log' ? ys.filter((v) => v > 0) : ys,
    yScale,
    top + plotH - 6,
    top + 8,
    spec.yDomain,
    spec.yZero ?? true,
  );

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" x="${x0}" y="${y0}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle) {
    out.push(`<text x="${left}" y="34" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  }
  // Grid and ticks.
  out.push('<g stroke="#e5e5e5" stroke-width="1">');
  for (const t of yAxis.ticks) {
    const y = yAxis.map(t);
    out.push(`<line x1="${left}" y1="${r(y)}" x2="${left + plotW}" y2="${r(y)}"/>`);
  }
  for (const t of xAxis.ticks) {
    const x = xAxis.map(t);
    out.push(`<line x1="${r(x)}" y1="${top}" x2="${r(x)}" y2="${top + plotH}"/>`);
  }
  out.push('</g>');
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push('<g fill="#333">');
  for (const t of yAxis.ticks) {
    out.push(`<text x="${left - 6}" y="${r(yAxis.map(t) + 4)}" text-anchor="end">${escapeXml(tickLabel(t))}</text>`);
  }
  for (const t of xAxis.ticks) {
    out.push(`<text x="${r(xAxis.map(t))}" y="${top + plotH + 15}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`);
  }
  out.push('</g>');
  out.push(
    `<text x="${r(left + plotW / 2)}" y="${top + plotH + 32}" text-anchor="middle">${escapeXml(spec.xLabel)}${xScale === 'log' ? ' (log scale)' : ''}</text>`,
  );
  out.push(
    `<text transform="translate(14 ${r(top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}${yScale === 'log' ? ' (log scale)' : ''}</text>`,
  );
  if (spec.footnote) {
    out.push(`<text x="${left}" y="${height - 6}" fill="#a33">${escapeXml(spec.footnote)}</text>`);
  }

  // Reference lines.
  for (const h of spec.hlines ?? []) {
    if (!finite(h.y) || (yScale === 'log' && h.y <= 0)) continue;
    const y = yAxis.map(h.y);
    const c = h.color ?? '#333';
    out.push(`<line x1="${left}" y1="${r(y)}" x2="${left + plotW}" y2="${r(y)}" stroke="${c}" stroke-dasharray="6 4" stroke-width="1.2"/>`);
    out.push(`<text x="${left + 4}" y="${r(y - 4)}" fill="${c}">${escapeXml(h.label)}</text>`);
  }

  // Series.
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.points
      .filter((p) => finite(p.x) && finite(p.y) && (xScale !== 'log' || p.x > 0) && (yScale !== 'log' || p.y > 0))
      .slice()
      .sort((a, b) => a.x - b.x);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const p of pts) {
      if (finite(p.yLow) && finite(p.yHigh) && (yScale !== 'log' || (p.yLow > 0 && p.yHigh > 0))) {
        const x = xAxis.map(p.x);
        const y1 = yAxis.map(p.yLow);
        const y2 = yAxis.map(p.yHigh);
        out.push(
          `<path d="M${r(x)},${r(y1)}L${r(x)},${r(y2)}M${r(x - 3)},${r(y1)}L${r(x + 3)},${r(y1)}M${r(x - 3)},${r(y2)}L${r(x + 3)},${r(y2)}" stroke="${color}" stroke-width="1" fill="none" opacity="0.7"/>`,
        );
      }
    }
    if ((s.line ?? true) && pts.length > 1) {
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${r(xAxis.map(p.x))},${r(yAxis.map(p.y))}`).join('');
      out.push(`<path d="${d}" stroke="${color}" stroke-width="2" fill="none"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    for (const p of pts) {
      out.push(marker(s.marker, xAxis.map(p.x), yAxis.map(p.y), color));
      if (p.label) {
        // Labels go right of the point, or left of it near the right edge.
        const px = xAxis.map(p.x);
        const nearRight = px + 8 + p.label.length * 6 > left + plotW;
        out.push(
          `<text x="${r(nearRight ? px - 6 : px + 6)}" y="${r(yAxis.map(p.y) - 6)}" font-size="10" fill="${color}"${nearRight ? ' text-anchor="end"' : ''}>${escapeXml(p.label)}</text>`,
        );
      }
    }
    out.push('</g>');
  });

  // Legend.
  legendRows.forEach((row, ri) => {
    let lx = left;
    const ly = top + plotH + 46 + ri * 16;
    for (const { s, i, w } of row) {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      if (s.line ?? true) {
        out.push(
          `<line x1="${r(lx)}" y1="${ly}" x2="${r(lx + 18)}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
        );
      }
      out.push(marker(s.marker, lx + 9, ly, color));
      out.push(`<text x="${r(lx + 24)}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
      lx += w;
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Several charts side by side (or in rows of `perRow`) in one SVG document. */
export function composePanels(charts: ChartSpec[], perRow = charts.length): string {
  const w = charts.map((c) => c.width ?? 560);
  const h = charts.map((c) => c.height ?? 360);
  const rows: ChartSpec[][] = [];
  for (let i = 0; i < charts.length; i += perRow) {
    rows.push(charts.slice(i, i + perRow));
  }
  let totalW = 0;
  let totalH = 0;
  const parts: string[] = [];
  let idx = 0;
  for (const row of rows) {
    let x = 0;
    let rowH = 0;
    for (const c of row) {
      parts.push(renderChartElement(c, x, totalH));
      x += w[idx];
      rowH = Math.max(rowH, h[idx]);
      idx++;
    }
    totalW = Math.max(totalW, x);
    totalH += rowH;
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${totalW}" height="${totalH}" viewBox="0 0 ${totalW} ${totalH}">\n` +
    `${parts.join('\n')}\n</svg>\n`
  );
}
