import * as assert from 'node:assert/strict';
import { cycleLabel, shownText, startCycle, stepCycle } from '../../src/extension/cycleCandidates';

const c = (text: string, mbrScore: number) => ({ text, mbrScore });

describe('extension/cycleCandidates', () => {
  // Scores: B is the MBR choice (index 1); then C (0.6), A (0.4); D repeats C; E is the original; F is empty.
  const candidates = [c('A', 0.4), c('B', 0.9), c('C', 0.6), c('C', 0.5), c('orig', 0.3), c(' ', 0.2)];

  it('the ring: display order (MBR choice first), no repeats, no copy of the original, no empty text', () => {
    const s = startCycle('orig', candidates, 1);
    assert.deepEqual(s.ring, ['B', 'C', 'A']);
    assert.equal(s.at, -1);
    assert.equal(shownText(s), 'orig');
    assert.equal(cycleLabel(s), 'original');
  });

  it('next walks the ring and wraps; previous from the original goes to the last', () => {
    let s = startCycle('orig', candidates, 1);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      s = stepCycle(s, 1);
      seen.push(`${shownText(s)} ${cycleLabel(s)}`);
    }
    assert.deepEqual(seen, ['B 1/3', 'C 2/3', 'A 3/3', 'B 1/3']);
    s = stepCycle(s, -1);
    assert.equal(shownText(s), 'A');
    assert.equal(shownText(stepCycle(startCycle('orig', candidates, 1), -1)), 'A');
  });

  it('started where a candidate is already applied, the ring goes on from it', () => {
    const s = startCycle('orig', candidates, 1, 'C');
    assert.equal(cycleLabel(s), '2/3');
    assert.equal(shownText(stepCycle(s, 1)), 'A');
    assert.equal(startCycle('orig', candidates, 1, 'something else').at, -1);
  });

  it('no usable candidate: stepping shows the original', () => {
    const s = startCycle('orig', [c('orig', 1)], 0);
    assert.deepEqual(s.ring, []);
    assert.equal(shownText(stepCycle(s, 1)), 'orig');
  });
});
