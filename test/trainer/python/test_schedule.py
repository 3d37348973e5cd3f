import math
import unittest

import numpy as np

from diffuseq_trainer import schedule


class ScheduleTest(unittest.TestCase):
    def test_shape_monotone_and_range(self):
        ac = schedule.alphas_cumprod(2000)
        self.assertEqual(ac.shape, (2000,))
        self.assertTrue(np.all(np.diff(ac) < 0), "alphas_cumprod must decrease")
        self.assertTrue(np.all(ac > 0) and np.all(ac < 1))

    def test_endpoints(self):
        ac = schedule.alphas_cumprod(2000)
        # index 0: abar(1/T)/abar(0) = (1 - sqrt(0.0006)) / 0.99
        self.assertAlmostEqual(ac[0], (1 - math.sqrt(1 / 2000 + 1e-4)) / (1 - math.sqrt(1e-4)), places=14)
        # the last beta is clipped at 0.999 (abar(1) < 0), so the last value is 0.001 * the one before
        self.assertAlmostEqual(schedule.betas(2000)[-1], 0.999)
        self.assertAlmostEqual(ac[-1], ac[-2] * 0.001, places=15)

    def test_exact_values_by_telescoping(self):
        # Without clipping, prod (1 - beta_j) telescopes to abar((i+1)/T) / abar(0).
        for T in (100, 2000):
            ac = schedule.alphas_cumprod(T)
            for i in (0, 1, T // 4, T // 2, T - 2):
                expect = (1 - math.sqrt((i + 1) / T + 1e-4)) / (1 - math.sqrt(1e-4))
                self.assertAlmostEqual(ac[i], expect, places=12, msg=f"T={T} i={i}")

    def test_known_numbers(self):
        ac = schedule.alphas_cumprod(2000)
        self.assertAlmostEqual(ac[1000], 0.29542331509863634, places=12)
        self.assertAlmostEqual(ac[2], 0.96969697, places=8)

    def test_unknown_schedule(self):
        with self.assertRaises(ValueError):
            schedule.alphas_cumprod(10, "cosine")


if __name__ == "__main__":
    unittest.main()
