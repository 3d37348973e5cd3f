import * as assert from 'node:assert/strict';
import { progressLine, progressReporter } from '../../src/cli/progress';

describe('cli/progress', () => {
  it('says where a long rewrite is', () => {
    // Sentence 3 of 4 (0-based 2), step 5 of 10: (2 + 0.5) / 4 = 62.5 % → 63 %.
    assert.equal(progressLine({ segment: 2, segments: 4, step: 5, steps: 10 }), 'sentence 3/4, step 5/10 (63%)');
    assert.equal(progressLine({ segment: 0, segments: 1, step: 10, steps: 10 }), 'step 10/10 (100%)');
  });

  it('on a terminal: one line in place, throttled, cleared at the end', () => {
    let out = '';
    let t = 0;
    const r = progressReporter({ write: (s: string) => (out += s) }, { tty: true, verbose: false, now: () => t });
    r.onProgress!({ segment: 0, segments: 2, step: 1, steps: 10 });
    t = 50;
    r.onProgress!({ segment: 0, segments: 2, step: 2, steps: 10 }); // within 100 ms: skipped
    t = 150;
    r.onProgress!({ segment: 1, segments: 2, step: 10, steps: 10 });
    r.done();
    assert.equal(
      out,
      '\r\u001b[Kdiffuseq: sentence 1/2, step 1/10 (5%)' + '\r\u001b[Kdiffuseq: sentence 2/2, step 10/10 (100%)' + '\r\u001b[K',
    );
  });

  it('with --verbose off a terminal: a line at most once a second; otherwise nothing', () => {
    let out = '';
    let t = 0;
    const r = progressReporter({ write: (s: string) => (out += s) }, { tty: false, verbose: true, now: () => t });
    r.onProgress!({ segment: 0, segments: 1, step: 1, steps: 10 });
    t = 500;
    r.onProgress!({ segment: 0, segments: 1, step: 2, steps: 10 });
    t = 1000;
    r.onProgress!({ segment: 0, segments: 1, step: 3, steps: 10 });
    assert.equal(out, 'diffuseq: step 1/10 (10%)\ndiffuseq: step 3/10 (30%)\n');
    const quiet = progressReporter({ write: () => assert.fail('wrote') }, { tty: false, verbose: false });
    assert.equal(quiet.onProgress, undefined);
    quiet.done();
  });
});
