"""The recipe options of the literature (issue 22, item 2): Difformer's embedding LayerNorm, noise factor and anchor
cross-entropy; a falling absorbing rate. Each pinned against hand-computed values, and the noise factor's package
checked to load back (`--init`) to the same diffusion space."""

import os
import shutil
import tempfile
import unittest

import torch
import torch.nn.functional as F
from test_init_package import write_cfg

from diffuseq_trainer.diffusion import (
    DiffusionLoss,
    absorbing_rate_at,
    dinoiser_min_timestep,
    nearest_neighbour_distance,
)
from diffuseq_trainer.export import export_package, random_init_checkpoint
from diffuseq_trainer.model import Denoiser
from diffuseq_trainer.timesteps import LossSecondMomentSampler, UniformSampler
from diffuseq_trainer.train import Trainer
from helpers import fake_data_dir, tiny_config


def denoiser(**kw):
    torch.manual_seed(0)
    return Denoiser(vocab_size=13, max_len=16, num_timesteps=100, dim=8, width=16, layers=1, heads=2, time_dim=8, **kw)


class AbsorbingRateScheduleTest(unittest.TestCase):
    def test_constant_without_an_end(self):
        self.assertEqual(absorbing_rate_at(0, 100, 0.5), 0.5)
        self.assertEqual(absorbing_rate_at(99, 100, 0.5, None), 0.5)

    def test_linear_from_the_first_to_the_last_step(self):
        self.assertAlmostEqual(absorbing_rate_at(0, 101, 0.8, 0.5), 0.8)
        self.assertAlmostEqual(absorbing_rate_at(50, 101, 0.8, 0.5), 0.65)
        self.assertAlmostEqual(absorbing_rate_at(100, 101, 0.8, 0.5), 0.5)
        self.assertAlmostEqual(absorbing_rate_at(500, 101, 0.8, 0.5), 0.5, msg="past the end it stays at the end")

    def test_the_trainer_sets_it_every_step(self):
        cfg = tiny_config(steps=5)
        cfg["diffusion"].update({"absorbingRate": 0.9, "absorbingRateEnd": 0.1})
        tr = Trainer(cfg, fake_data_dir(), tempfile.mkdtemp(prefix="dq-gamma-"), device="cpu")
        seen = []
        for _ in range(5):
            tr.train_step()
            seen.append(round(tr.loss_mod.absorbing_rate, 6))
        self.assertEqual(seen, [0.9, 0.7, 0.5, 0.3, 0.1])


class EmbeddingNormTest(unittest.TestCase):
    def test_rows_are_layer_normalised_without_gain_or_bias(self):
        m = denoiser(embedding_norm=True)
        e = m.word_emb.weight.detach()
        mean, var = e.mean(-1, keepdim=True), e.var(-1, unbiased=False, keepdim=True)
        want = (e - mean) / torch.sqrt(var + 1e-5)
        self.assertTrue(torch.allclose(m.embedding_table().detach(), want, atol=1e-6))
        ids = torch.tensor([[1, 4, 12]])
        self.assertTrue(torch.allclose(m.get_embeds(ids).detach(), want[ids], atol=1e-6))
        # The rounding logits use the normalised rows, so nearest row and largest logit agree.
        x = torch.randn(1, 3, 8)
        self.assertTrue(torch.allclose(m.get_logits(x).detach(), x @ want.t(), atol=1e-5))

    def test_normalising_twice_changes_nothing(self):
        m = denoiser(embedding_norm=True)
        once = m.embedding_table().detach()
        with torch.no_grad():
            m.word_emb.weight.copy_(once)
        # Up to LayerNorm's epsilon: a row of variance v comes out of the first pass with v / (v + 1e-5), so the
        # second changes it by about 1e-5 / (2 v) relative (2.5e-5 here, where a row of 8 draws has v near 0.2).
        self.assertTrue(torch.allclose(m.embedding_table().detach(), once, rtol=1e-4, atol=1e-6))


class NoiseFactorTest(unittest.TestCase):
    F = 4.0

    def test_the_network_sees_x_and_answers_in_y(self):
        """denoiser_F(y) = base(F y) / F with the same weights: Difformer's network on x = F y."""
        base, scaled = denoiser(), denoiser(noise_factor=self.F)
        scaled.load_state_dict(base.state_dict())
        base.eval(), scaled.eval()
        y, t = torch.randn(2, 5, 8), torch.tensor([3.0, 70.0])
        with torch.no_grad():
            self.assertTrue(torch.allclose(scaled(y, t), base(self.F * y, t) / self.F, atol=1e-6))

    def test_the_table_is_e_over_f_and_the_logits_are_taken_in_x(self):
        m = denoiser(noise_factor=self.F)
        e = m.word_emb.weight.detach()
        self.assertTrue(torch.allclose(m.embedding_table().detach(), e / self.F))
        y = torch.randn(1, 3, 8)
        self.assertTrue(torch.allclose(m.get_logits(y).detach(), (self.F * y) @ e.t(), atol=1e-5))

    def test_mse_and_prior_are_measured_in_x(self):
        m = denoiser(noise_factor=self.F)
        loss = DiffusionLoss(m, 100)
        ids = torch.tensor([[3, 5, 7, 2]])
        mask = torch.tensor([[False, True, True, True]])
        t = torch.tensor([40])
        x_start = torch.randn(1, 4, 8)
        x0 = torch.randn(1, 4, 8)
        terms = loss.loss_terms(x0, x_start, x_start, ids, mask, t)
        want_mse = ((self.F * (x0 - x_start))[0, 1:] ** 2).mean()
        self.assertAlmostEqual(float(terms["mse"][0]), float(want_mse), places=5)
        want_tT = ((self.F * loss.sqrt_ac[-1] * x_start)[0, 1:] ** 2).mean()
        self.assertAlmostEqual(float(terms["tT"][0]), float(want_tT), places=5)


class AnchorCrossEntropyTest(unittest.TestCase):
    def test_label_smoothing_on_the_predicted_x0_at_every_t(self):
        m = denoiser()
        loss = DiffusionLoss(m, 100, x0_ce_weight=1.0, x0_ce_max_t=100, x0_ce_label_smoothing=0.1)
        ids = torch.tensor([[3, 5, 7, 2]])
        mask = torch.tensor([[False, True, True, True]])
        x0, x_start = torch.randn(1, 4, 8), torch.randn(1, 4, 8)
        terms = loss.loss_terms(x0, x_start, x_start, ids, mask, torch.tensor([99]))
        logits = (x0 @ m.word_emb.weight.t()).detach()[0, 1:]
        want = F.cross_entropy(logits, ids[0, 1:], label_smoothing=0.1)
        self.assertAlmostEqual(float(terms["x0ce"][0]), float(want), places=5)
        plain = F.cross_entropy(logits, ids[0, 1:])
        self.assertNotAlmostEqual(float(want), float(plain), places=3)


class DinoiserTest(unittest.TestCase):
    def test_nearest_neighbour_distance_by_hand(self):
        # Rows (0,0), (3,0), (0,4): nearest others at 3, 3 and 4; the median is 3.
        table = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
        self.assertAlmostEqual(nearest_neighbour_distance(table), 3.0, places=5)

    def test_min_timestep_by_hand(self):
        # Noise in x_0's scale s_t = sqrt(1 - abar) / sqrt(abar) = 0.1, 0.5, 1, 2. Neighbours at D = 2: a token
        # passes the midpoint with probability Phi(-1 / s_t); Phi(-1) = 0.1587 is first reached at s_t = 1 (t = 2).
        s = torch.tensor([0.1, 0.5, 1.0, 2.0])
        abar = 1.0 / (1.0 + s**2)
        t = dinoiser_min_timestep(abar.sqrt(), (1.0 - abar).sqrt(), 2.0, 0.158655)
        self.assertEqual(t, 2)
        self.assertEqual(dinoiser_min_timestep(abar.sqrt(), (1.0 - abar).sqrt(), 2.0, 0.02), 1)

    def test_samplers_never_draw_below_t_min(self):
        for sampler in (UniformSampler(50, seed=1), LossSecondMomentSampler(50, seed=1, history=2)):
            sampler.t_min = 30
            t, w = sampler.sample(2000)
            self.assertGreaterEqual(int(t.min()), 30, type(sampler).__name__)
            self.assertAlmostEqual(float(sampler.probabilities()[30:].sum()), 1.0)
        # The loss-aware sampler warms up on the timesteps it can draw.
        ls = LossSecondMomentSampler(50, seed=1, history=1)
        ls.t_min = 30
        ls.update(list(range(30, 50)), [1.0] * 20)
        self.assertTrue(ls.warmed_up())

    def test_the_trainer_clips_t(self):
        cfg = tiny_config(steps=3)
        cfg["diffusion"]["minConfusion"] = 0.1
        tr = Trainer(cfg, fake_data_dir(), tempfile.mkdtemp(prefix="dq-dinoiser-"), device="cpu")
        tr.train_step()
        self.assertGreater(tr.sampler.t_min, 0, "N(0, I) embeddings of d = 8 lie far apart: small t are clipped")


class DifformerPackageTest(unittest.TestCase):
    """A package trained with the noise factor and the LayerNorm continues (`--init`) in the same space."""

    def test_export_then_init_gives_back_the_same_table(self):
        tmp = tempfile.mkdtemp(prefix="dq-difformer-")
        try:
            cfg = tiny_config()
            cfg["model"]["embeddingNorm"] = True
            cfg["diffusion"]["noiseFactor"] = self.F
            ck = random_init_checkpoint(write_cfg(cfg), fake_data_dir(), seed=3)
            pkg = os.path.join(tmp, "pkg")
            man = export_package(ck, pkg, name="d")
            self.assertEqual(man["diffusion"]["noiseFactor"], self.F)
            self.assertTrue(man["model"]["embeddingNorm"])
            src = Denoiser.from_config(cfg, man["embedding"]["vocabSize"], ck["ema"]["pos_emb.weight"].shape[0])
            src.load_state_dict(ck["ema"])
            tr = Trainer(cfg, fake_data_dir(), os.path.join(tmp, "run"), device="cpu", init=pkg)
            self.assertTrue(torch.allclose(tr.model.embedding_table(), src.embedding_table(), atol=1e-5))
            self.assertTrue(torch.equal(tr.model.absorb, src.absorb))
            plain = tiny_config()
            with self.assertRaisesRegex(Exception, "noiseFactor 4.0 \\(package\\) vs 1.0 \\(config\\)"):
                Trainer(plain, fake_data_dir(), os.path.join(tmp, "run2"), device="cpu", init=pkg)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    F = 4.0


if __name__ == "__main__":
    unittest.main()
