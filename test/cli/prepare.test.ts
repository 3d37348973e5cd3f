import * as assert from 'assert';
import { parsePrepareArgs } from '../../src/cli/prepare';

describe('cli/prepare', () => {
  it('parses the CLI arguments (pairs of --data/--task, per-dataset --limit)', () => {
    const o = parsePrepareArgs([
      '--limit',
      '9',
      '--data',
      'a',
      'b',
      '--task',
      'paraphrase',
      '--limit',
      '5000',
      '--data',
      'c',
      '--task',
      'simplify',
      '--out',
      'o',
      '--vocab-size',
      '8000',
      '--both-directions',
    ]);
    assert.deepStrictEqual(o.data, [
      { paths: ['a', 'b'], task: 'paraphrase', limit: 5000 },
      { paths: ['c'], task: 'simplify' },
    ]);
    assert.strictEqual(o.limit, 9);
    assert.strictEqual(o.vocabSize, 8000);
    assert.strictEqual(o.bothDirections, true);
    assert.throws(() => parsePrepareArgs(['--data', 'a', '--out', 'o']), /no --task/);
    assert.throws(() => parsePrepareArgs(['--data', 'a', '--task', 'summarize', '--out', 'o']), /paraphrase or simplify/);
    assert.throws(() => parsePrepareArgs(['--data', 'a', '--task', 'simplify']), /--out DIR is required/);
  });

  it('takes --tokenizer DIR (encode with its tokenizer.json instead of training one)', () => {
    assert.strictEqual(
      parsePrepareArgs(['--data', 'a', '--task', 'paraphrase', '--out', 'o', '--tokenizer', 'models/default']).tokenizerFrom,
      'models/default',
    );
  });
});
