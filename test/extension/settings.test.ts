import * as assert from 'node:assert/strict';
import { moreSteps, randomSeed, readSettings, SETTING_RANGES } from '../../src/extension/settings';

const read = (v: Record<string, unknown>) => readSettings((k) => v[k]);

describe('extension/settings', () => {
  it('defaults', () => {
    assert.deepEqual(read({}), {
      candidates: 8,
      steps: 10,
      order: 2,
      seed: undefined,
      executionProvider: 'auto',
      modelPath: '',
      applyMode: 'panel',
    });
  });

  it('clamps numbers into their ranges and rounds', () => {
    const s = read({ candidates: 100, steps: 0, order: 7, seed: -5 });
    assert.equal(s.candidates, 32);
    assert.equal(s.steps, 1);
    assert.equal(s.order, 3);
    assert.equal(s.seed, 0);
    assert.equal(read({ candidates: 2.6 }).candidates, 3);
    assert.equal(read({ candidates: 'abc' }).candidates, 8);
    assert.equal(read({ steps: '20' }).steps, 20);
  });

  it('seed: empty/null = random, a number or numeric string = fixed', () => {
    assert.equal(read({ seed: null }).seed, undefined);
    assert.equal(read({ seed: '' }).seed, undefined);
    assert.equal(read({ seed: '  ' }).seed, undefined);
    assert.equal(read({ seed: 1234 }).seed, 1234);
    assert.equal(read({ seed: '77' }).seed, 77);
    assert.equal(read({ seed: 1e12 }).seed, SETTING_RANGES.seed.max);
  });

  it('enums fall back to their defaults', () => {
    assert.equal(read({ executionProvider: 'tpu' }).executionProvider, 'auto');
    assert.equal(read({ executionProvider: 'cuda' }).executionProvider, 'cuda');
    assert.equal(read({ applyMode: 'x' }).applyMode, 'panel');
    assert.equal(read({ applyMode: 'applyBest' }).applyMode, 'applyBest');
    assert.equal(read({ modelPath: '  /m  ' }).modelPath, '/m');
  });

  it('moreSteps doubles up to 50; randomSeed stays in range', () => {
    assert.equal(moreSteps(10), 20);
    assert.equal(moreSteps(1), 2);
    assert.equal(moreSteps(30), 50);
    assert.equal(moreSteps(50), 50);
    assert.equal(
      randomSeed(() => 0),
      0,
    );
    assert.ok(randomSeed(() => 0.999999999) <= SETTING_RANGES.seed.max);
  });
});
