import * as assert from 'node:assert/strict';
import { latencyChart, qualityDiversityChart, qualityStepsChart } from '../../bench/lib/plots';
import { DOCS_BEGIN, DOCS_END, latestPerMachine, qualityMarkdown, replaceDocsSection, speedMarkdown } from '../../bench/lib/report';
import { composePanels, escapeXml, linearTicks, logTicks, niceStep, renderChart, tickLabel } from '../../bench/lib/svg';
import { qualityResult, speedResult } from './fixtures';

/** Minimal well-formedness check: balanced tags, attributes quoted, no bare '&' or '<' in text. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    assert.doesNotMatch(text, /<|&(?!(amp|lt|gt|quot|apos);)/, `bad text before ${m[0]}`);
    last = m.index + m[0].length;
    if (m[4]) continue; // self-closing
    if (m[1]) {
      assert.equal(stack.pop(), m[2], `mismatched </${m[2]}>`);
    } else {
      stack.push(m[2]);
    }
  }
  assert.equal(body.slice(last).trim(), '', 'trailing garbage or an unparsed tag');
  assert.deepEqual(stack, [], 'unclosed tags');
}

describe('bench/svg', () => {
  it('picks nice ticks', () => {
    assert.equal(niceStep(0, 100, 5), 20);
    assert.equal(niceStep(0, 1, 4), 0.25);
    assert.deepEqual(linearTicks(0, 95).ticks, [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(linearTicks(0, 95).domain, [0, 100]);
    assert.deepEqual(linearTicks(5, 5).domain.length, 2);
    assert.deepEqual(linearTicks(0, 0).domain, [0, 1]);
    assert.deepEqual(logTicks(1, 20).ticks, [1, 2, 5, 10, 20]);
    assert.deepEqual(logTicks(1, 2000).ticks, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
    assert.deepEqual(logTicks(1, 200000).ticks, [1, 10, 100, 1000, 10000, 100000]);
    assert.throws(() => logTicks(0, 10), /positive/);
    assert.equal(tickLabel(20000), '20k');
    assert.equal(tickLabel(0.30000000000000004), '0.3');
  });

  it('renders a deterministic, well-formed chart with escaped text', () => {
    const spec = {
      title: 'A <title> & more',
      subtitle: 'sub "quoted"',
      xLabel: 'x',
      yLabel: 'y',
      xScale: 'log' as const,
      series: [
        {
          name: 'a',
          points: [
            { x: 1, y: 1, yLow: 0.5, yHigh: 2, label: 'p<1>' },
            { x: 10, y: 3 },
            { x: 0, y: 5 },
          ],
        },
        { name: 'b', points: [{ x: 2, y: 2 }], line: false, marker: 'diamond' as const },
        { name: 'empty', points: [] },
      ],
      hlines: [{ y: 2.5, label: 'ref' }],
      footnote: '⚠ noisy',
    };
    const svg = renderChart(spec);
    assertWellFormedXml(svg);
    assert.equal(svg, renderChart(spec));
    assert.match(svg, /A &lt;title&gt; &amp; more/);
    assert.match(svg, /p&lt;1&gt;/);
    assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
    assert.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;');
  });

  it('renders an empty chart and composes panels', () => {
    const empty = renderChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] });
    assertWellFormedXml(empty);
    const two = composePanels([
      { title: 'a', xLabel: 'x', yLabel: 'y', series: [] },
      { title: 'b', xLabel: 'x', yLabel: 'y', series: [], width: 300 },
    ]);
    assertWellFormedXml(two);
    assert.match(two, /width="860"/);
  });
});

describe('bench/plots and report', () => {
  it('draws the latency, quality-vs-steps and quality-vs-diversity plots', () => {
    const lat = latencyChart(speedResult());
    assertWellFormedXml(lat);
    assert.match(lat, /Rewrite latency vs steps/);
    assert.match(lat, /⚠ noisy \(min–max spread &gt; 50 % of the median\): w80-c8-k10/);
    const qs = qualityStepsChart(qualityResult());
    assertWellFormedXml(qs);
    assert.match(qs, /DDPM, T=2000/);
    assert.match(qs, /simplify: BLEU vs sampling steps/);
    assert.match(qs, /1 eval run\(s\) failed/);
    const qd = qualityDiversityChart(qualityResult());
    assertWellFormedXml(qd);
    assert.match(qd, /k=10/);
    for (const svg of [lat, qs, qd]) assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
  });

  it('writes markdown tables that name the machine and flag noise', () => {
    const md = speedMarkdown(speedResult());
    assert.match(md, /Test CPU, 2 cores/);
    assert.match(md, /\*\*w20-c8-k10\*\* \(default\)/);
    assert.match(md, /×205 faster \(range ×200–×210\);/);
    const wide = speedResult();
    wide.reference!.speedup = { ratio: 126, low: 78, high: 220 };
    wide.reference!.speedupCpu = { ratio: 190, low: 180, high: 200 };
    assert.match(speedMarkdown(wide), /×126 faster \(range ×78–×220, ⚠ noisy\); by CPU time ×190/);
    assert.match(md, /⚠ noisy/);
    assert.match(md, /target ≤ 10\.0 %: met/);
    assert.match(md, /rewriteBatch/);
    const q = qualityMarkdown(qualityResult());
    assert.match(q, /\*\*paraphrase\*\*/);
    assert.match(q, /\| 10 \| 0\.205 \| 0\.225 \(0\.7\) \| 0\.25 \(0\.7\) \|/);
    assert.match(q, /DDPM \| 2000 \| 1 \| 0\.3/);
    assert.match(q, /failed/);
  });

  it('replaces the marked docs section or appends one', () => {
    const doc = `# Perf\n\nintro\n\n${DOCS_BEGIN}\nold\n${DOCS_END}\n\ntail\n`;
    const next = replaceDocsSection(doc, 'new table');
    assert.match(next, /intro/);
    assert.match(next, /tail/);
    assert.match(next, /new table/);
    assert.doesNotMatch(next, /\nold\n/);
    assert.equal(replaceDocsSection(next, 'new table'), next);
    const appended = replaceDocsSection('# Perf\n', 'x');
    assert.ok(appended.includes(DOCS_BEGIN) && appended.trimEnd().endsWith(DOCS_END));
  });

  it('keeps the newest file per machine', () => {
    const mk = (date: string, machine: string) => ({ file: `${date}-${machine}.json`, data: { schemaVersion: 1, date, machine } });
    const files = [mk('2026-11-23', 'a'), mk('2026-11-23', 'b'), mk('2026-11-22', 'a')];
    assert.deepEqual(
      latestPerMachine(files).map((f) => f.file),
      ['2026-11-23-a.json', '2026-11-23-b.json'],
    );
  });
});
