"""CPU training speed: the bf16/fp32 choice, the FLOP count behind GFLOP/s, and what a run reports."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch

from diffuseq_trainer.model import Denoiser
from diffuseq_trainer.precision import choose_dtype, cpu_bf16_supported, pick_dtype
from diffuseq_trainer.train import Trainer
from helpers import fake_data_dir, tiny_config


class PickDtypeTest(unittest.TestCase):
    def test_bf16_only_when_clearly_faster(self):
        self.assertEqual(pick_dtype({"fp32": 2.4, "bf16": 0.7})[0], "bf16")
        self.assertEqual(pick_dtype({"fp32": 1.0, "bf16": 0.95})[0], "fp32", "a tie keeps fp32")
        self.assertEqual(pick_dtype({"fp32": 1.0, "bf16": 1.6})[0], "fp32", "no AMX: bf16 is slower")

    def test_reason_quotes_the_timings(self):
        dtype, why = pick_dtype({"fp32": 2.4134, "bf16": 0.7042})
        self.assertEqual(why, "auto: timed fp32 2413 ms, bf16 704 ms per step")


class ChooseDtypeRuleTest(unittest.TestCase):
    """precision.choose_dtype on its own: the timing callback runs only for "auto" on a CPU with bf16 autocast."""

    def never_timed(self):
        raise AssertionError("timed where the choice needs no timing")

    def test_set_values_and_cuda_need_no_timing(self):
        self.assertEqual(choose_dtype("bf16", "cpu", self.never_timed), ("bf16", "set by train.dtype"))
        self.assertEqual(choose_dtype("fp32", "cuda", self.never_timed), ("fp32", "set by train.dtype"))
        self.assertEqual(choose_dtype("auto", "cuda", self.never_timed), ("bf16", "auto on CUDA"))

    def test_auto_on_the_cpu_picks_from_the_timings(self):
        if not cpu_bf16_supported():
            self.assertEqual(choose_dtype("auto", "cpu", self.never_timed)[0], "fp32")
            return
        fast_bf16 = choose_dtype("auto", "cpu", lambda: {"fp32": 2.4134, "bf16": 0.7042})
        self.assertEqual(fast_bf16, ("bf16", "auto: timed fp32 2413 ms, bf16 704 ms per step"))
        self.assertEqual(choose_dtype("auto", "cpu", lambda: {"fp32": 1.0, "bf16": 0.95})[0], "fp32")

    def test_unknown_value_is_refused(self):
        with self.assertRaisesRegex(ValueError, 'train.dtype must be "auto", "bf16" or "fp32", not \'fp16\''):
            choose_dtype("fp16", "cpu", self.never_timed)


class ChooseDtypeTest(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="dq-dtype-")

    def tearDown(self):
        shutil.rmtree(self.out, ignore_errors=True)

    def test_forced_values(self):
        for d in ("fp32", "bf16"):
            tr = Trainer(tiny_config(dtype=d), fake_data_dir(), self.out, device="cpu")
            self.assertEqual((tr.dtype, tr.dtype_reason), (d, "set by train.dtype"))

    def test_unknown_value_is_refused(self):
        # Refused when the config is loaded (config_schema.py), before any Trainer is built.
        expected = re.escape('config key train.dtype must be one of "auto", "bf16", "fp32"')
        with self.assertRaisesRegex(ValueError, expected):
            Trainer(tiny_config(dtype="float16"), fake_data_dir(), self.out, device="cpu")

    def test_auto_times_both_and_leaves_training_unchanged(self):
        auto = Trainer(tiny_config(dtype="auto"), fake_data_dir(), self.out, device="cpu")
        self.assertIn(auto.dtype, ("fp32", "bf16"))
        self.assertRegex(auto.dtype_reason, r"^auto: timed fp32 \d+ ms, bf16 \d+ ms per step$")
        # The timing steps touch neither the weights, the gradients nor the RNG: the first real step is the
        # one a run with that dtype forced would take.
        # (Trainers share torch's global RNG: each one's step is taken before the next one is built.)
        self.assertTrue(all(p.grad is None for p in auto.model.parameters()))
        weights = [p.detach().clone() for p in auto.model.parameters()]
        step_auto = auto.train_step()[0]
        forced = Trainer(tiny_config(dtype=auto.dtype), fake_data_dir(), self.out, device="cpu")
        for a, b in zip(weights, forced.model.parameters(), strict=True):
            self.assertTrue(torch.equal(a, b))
        self.assertEqual(step_auto, forced.train_step()[0])

    def test_bf16_step_trains(self):
        tr = Trainer(tiny_config(dtype="bf16"), fake_data_dir(), self.out, device="cpu")
        before = [p.detach().clone() for p in tr.model.parameters()]
        parts, _, _ = tr.train_step()
        self.assertTrue(all(v == v for v in parts.values()), parts)  # no NaN
        changed = sum(not torch.equal(a, b) for a, b in zip(before, tr.model.parameters(), strict=True))
        self.assertGreater(changed, len(before) // 2)
        self.assertGreater(tr.last_flops, 0)


class StepFlopsTest(unittest.TestCase):
    def test_exact_count(self):
        # dim 8, width 32, 1 layer, ffn 2x, vocabulary 50: the Linear weights outside the timestep MLP are
        # up-proj 8x32 + 32x32, qkv 32x96, attention out 32x32, FFN 32x64 + 64x32, down-proj 32x32 + 32x8.
        m = Denoiser(50, 64, 100, dim=8, width=32, layers=1, heads=2, ffn_mult=2, time_dim=16)
        linear = 8 * 32 + 32 * 32 + 32 * 96 + 32 * 32 + 32 * 64 + 64 * 32 + 32 * 32 + 32 * 8
        rows, length, target = 3, 10, 12
        forward = 2 * linear * rows * length + 1 * 4 * rows * length * length * 32 + 2 * 8 * 50 * target
        self.assertEqual(m.step_flops(rows, length, target), 3 * forward)


TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "trainer", "python"))


class AllocatorTest(unittest.TestCase):
    def run_probe(self, **env):
        code = "from diffuseq_trainer.devices import allocator_in_use; print(allocator_in_use())"
        full = dict(os.environ, PYTHONPATH=PKG, **env)
        full.pop("LD_PRELOAD", None) if "LD_PRELOAD" not in env else None
        return subprocess.run(
            [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True
        ).stdout.strip()

    def test_glibc_and_tuned_glibc(self):
        self.assertEqual(self.run_probe(GLIBC_TUNABLES=""), "glibc")
        self.assertEqual(self.run_probe(GLIBC_TUNABLES="glibc.malloc.mmap_threshold=268435456"), "glibc (tuned)")

    @unittest.skipUnless(os.path.exists(TCMALLOC) or os.environ.get("CI"), "libtcmalloc-minimal4 not installed")
    def test_preloaded_tcmalloc(self):
        self.assertEqual(self.run_probe(LD_PRELOAD=TCMALLOC), "tcmalloc")


if __name__ == "__main__":
    unittest.main()
