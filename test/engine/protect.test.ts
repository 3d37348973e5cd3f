import * as assert from 'node:assert/strict';
import { anchorsOf, findProtectedSpans, localMask, mask, onlyProtected, unmask } from '../../src/engine/protect';
import { SPAN_CASES } from '../fixtures/spanCases';

const found = (t: string) => findProtectedSpans(t).map((s) => [s.kind, t.slice(s.start, s.end)]);

describe('engine/protect', () => {
  it(`finds exactly the listed spans in each of the ${SPAN_CASES.length} inputs of test/fixtures/protected-spans.json`, () => {
    assert.ok(SPAN_CASES.length >= 40);
    for (const c of SPAN_CASES) {
      assert.deepEqual(
        findProtectedSpans(c.text).map((s) => c.text.slice(s.start, s.end)),
        c.spans,
        c.text,
      );
    }
  });

  it('names each span by its kind, and an earlier finder wins an overlap', () => {
    assert.deepEqual(found('See [the guide](https://a.io/g) and run `npm ci` before 2.4.1 ships on 12 March.'), [
      ['link-open', '['],
      ['link-target', '](https://a.io/g)'],
      ['inline-code', '`npm ci`'],
      ['version', '2.4.1'],
      ['date', '12 March'],
    ]);
    // The e-mail address is one span, not a mention plus a bare domain; the URL inside inline code is code.
    assert.deepEqual(found('Write to a.b@example.com about `https://x.io/1`.'), [
      ['email', 'a.b@example.com'],
      ['inline-code', '`https://x.io/1`'],
    ]);
    // Dollars around a formula are math; amounts are numbers (pandoc's rule).
    assert.deepEqual(found('Pay $5 and $x+1$ or $4,250.'), [
      ['number', '$5'],
      ['math', '$x+1$'],
      ['number', '$4,250'],
    ]);
    // A URL's trailing full stop and closing bracket are prose.
    assert.deepEqual(found('(see https://a.io/x).'), [['url', 'https://a.io/x']]);
  });

  it('masks each span as one private-use character and unmasks exactly', () => {
    const t = 'Run `a b` on 2.4.1, then\n```\ncode\n```\ndone.';
    const m = mask(t);
    assert.equal(m.text, 'Run \uE000 on \uE001, then\n\uE002\ndone.');
    assert.deepEqual(m.spans, ['`a b`', '2.4.1', '```\ncode\n```']);
    assert.deepEqual(m.kinds, ['inline-code', 'version', 'fenced-code']);
    assert.equal(unmask(m.text, m.spans), t);
    // A private-use character already in the text is a span of its own, so markers never collide with it.
    const p = mask('a \uE000 b 7');
    assert.deepEqual([p.text, p.spans, p.kinds], ['a \uE000 b \uE001', ['\uE000', '7'], ['reserved', 'number']]);
    assert.equal(unmask(p.text, p.spans), 'a \uE000 b 7');
  });

  it('renumbers the markers of one segment from 0', () => {
    const whole = mask('One 1. Two 2 and 3.');
    const seg = localMask('Two \uE001 and \uE002.', whole);
    assert.deepEqual(seg, { text: 'Two \uE000 and \uE001.', spans: ['2', '3'], kinds: ['number', 'number'] });
  });

  it('knows when a piece has nothing left to rewrite', () => {
    assert.equal(onlyProtected('\uE000'), true);
    assert.equal(onlyProtected(' \uE000, \uE001.'), true);
    assert.equal(onlyProtected('\uE000 and'), false);
  });

  it('holds each placeholder at its own source index, pushed back in order when the target is shorter', () => {
    const w = (ids: number[], span?: number) => ({ ids, form: '', gap: ' ', span, sentenceInitial: false });
    // Source pieces: [5] [9 ##] [P0] [7] [P1] → placeholders at indices 3 and 5.
    const words = [w([5]), w([9, 10]), w([100], 0), w([7]), w([101], 1)];
    assert.deepEqual(anchorsOf(words, 12), [
      { pos: 3, id: 100 },
      { pos: 5, id: 101 },
    ]);
    assert.deepEqual(anchorsOf(words, 5), [
      { pos: 3, id: 100 },
      { pos: 4, id: 101 },
    ]);
    assert.deepEqual(anchorsOf(words, 4), [
      { pos: 2, id: 100 },
      { pos: 3, id: 101 },
    ]);
  });
});
