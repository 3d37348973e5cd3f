import * as assert from 'node:assert/strict';
import { halfSquaredNorms } from '../../src/engine/constrainedRounding';
import { SCORES_GRAPH, scoresGraphBytes } from '../../src/engine/scoresGraph';
import { ort } from '../../src/engine/session';

describe('engine/scoresGraph', () => {
  it('computes the rounding scores x·E_v − ½‖E_v‖² with onnxruntime, hand-computed', async () => {
    const Tensor = ort().Tensor;
    const E = new Float32Array([1, 0, 0, 1, 1, 1]);
    const half = halfSquaredNorms(E, 3, 2);
    assert.deepEqual([...half], [0.5, 0.5, 1]);
    const session = await ort().InferenceSession.create(scoresGraphBytes(), { executionProviders: ['cpu'] });
    try {
      const out = await session.run({
        [SCORES_GRAPH.x]: new Tensor('float32', new Float32Array([1, 2, -1, 0]), [2, 2]),
        [SCORES_GRAPH.embedding]: new Tensor('float32', E, [3, 2]),
        [SCORES_GRAPH.bias]: new Tensor(
          'float32',
          half.map((h) => -h),
          [3],
        ),
      });
      const s = out[SCORES_GRAPH.scores];
      assert.deepEqual(s.dims, [2, 3]);
      // x0 = (1, 2): 1 − 0.5, 2 − 0.5, 3 − 1; x1 = (−1, 0): −1 − 0.5, 0 − 0.5, −1 − 1.
      assert.deepEqual([...(s.data as Float32Array)], [0.5, 1.5, 2, -1.5, -0.5, -2]);
    } finally {
      await session.release();
    }
  });
});
