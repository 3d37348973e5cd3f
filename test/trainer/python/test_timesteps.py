import unittest

import numpy as np

from diffuseq_trainer.timesteps import LossSecondMomentSampler, UniformSampler


class SamplerTest(unittest.TestCase):
    def test_uniform(self):
        s = UniformSampler(50, seed=0)
        p = s.probabilities()
        self.assertAlmostEqual(p.sum(), 1.0)
        self.assertTrue(np.allclose(p, 1 / 50))
        t, w = s.sample(1000)
        self.assertTrue(((t >= 0) & (t < 50)).all())
        self.assertTrue(np.allclose(w.numpy(), 1.0))

    def test_loss_aware_uniform_until_warm_then_importance(self):
        T, H = 20, 3
        s = LossSecondMomentSampler(T, seed=0, history=H, uniform_prob=0.001)
        s.update(np.arange(T), np.ones(T))
        self.assertFalse(s.warmed_up())
        self.assertTrue(np.allclose(s.probabilities(), 1 / T), "uniform before warm-up")
        losses = np.arange(1, T + 1, dtype=np.float64)  # loss grows with t
        for _ in range(H):
            s.update(np.arange(T), losses)
        self.assertTrue(s.warmed_up())
        p = s.probabilities()
        self.assertAlmostEqual(p.sum(), 1.0, places=12)
        expect = losses / losses.sum() * (1 - 0.001) + 0.001 / T  # sqrt(E[l^2]) = l for constant history
        self.assertTrue(np.allclose(p, expect))
        t, w = s.sample(5000)
        t = t.numpy()
        self.assertGreater((t >= T // 2).mean(), 0.6, "high-loss timesteps are drawn more often")
        self.assertTrue(np.allclose(w.numpy(), 1 / (T * p[t]), rtol=1e-5), "importance weights 1/(T p_t)")

    def test_history_rolls(self):
        s = LossSecondMomentSampler(2, seed=0, history=2)
        s.update([0, 0, 0, 1, 1], [1.0, 2.0, 3.0, 5.0, 6.0])
        self.assertEqual(s.loss_history[0].tolist(), [2.0, 3.0])
        self.assertEqual(s.counts.tolist(), [2, 2])

    def test_state_roundtrip(self):
        a = LossSecondMomentSampler(10, seed=4, history=2)
        a.update(np.arange(10), np.random.rand(10))
        st = a.state_dict()
        b = LossSecondMomentSampler(10, seed=99, history=2)
        b.load_state_dict(st)
        ta, _ = a.sample(7)
        tb, _ = b.sample(7)
        self.assertTrue(np.array_equal(ta.numpy(), tb.numpy()))


if __name__ == "__main__":
    unittest.main()
