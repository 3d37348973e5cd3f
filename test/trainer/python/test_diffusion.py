import math
import unittest

import torch
import torch.nn.functional as F

from diffuseq_trainer import schedule
from diffuseq_trainer.diffusion import DiffusionLoss, absorb, q_sample
from diffuseq_trainer.model import Denoiser

T = 2000


def make(V=30, d=8):
    torch.manual_seed(0)
    model = Denoiser(V, 40, T, dim=d, width=16, layers=1, heads=2, ffn_mult=2, dropout=0.0, time_dim=8)
    return model, DiffusionLoss(model, T, absorbing_rate=0.5)


def rows(B=4, L=12, src=5, V=30):
    ids = torch.randint(0, V, (B, L))
    mask = torch.zeros(B, L, dtype=torch.bool)
    mask[:, src:] = True
    return ids, mask


class NoisingTest(unittest.TestCase):
    def test_only_target_changes_source_bit_identical(self):
        model, diff = make()
        ids, mask = rows()
        t = torch.tensor([0, 10, 1000, 1999])
        with torch.no_grad():
            n = diff.noised(ids, mask, t, generator=torch.Generator().manual_seed(1))
        src = ~mask
        self.assertTrue(torch.equal(n["x_t"][src], n["x_start"][src]), "source must be exactly x_start")
        self.assertFalse(n["replaced"][src].any(), "absorbing must never touch the source")
        self.assertTrue((n["x_t"][mask] != n["x_start"][mask]).all(), "every target position is noised")
        # x_start is the embedding plus the tiny sqrt(1 - abar_0) noise
        std0 = math.sqrt(1 - schedule.alphas_cumprod(T)[0])
        dev = (n["x_start"] - n["x_start_mean"]).std().item()
        self.assertAlmostEqual(dev, std0, delta=0.3 * std0)

    def test_q_sample_formula(self):
        ac = torch.tensor(schedule.alphas_cumprod(T), dtype=torch.float64)
        sa, s1 = ac.sqrt().float(), (1 - ac).sqrt().float()
        x = torch.randn(2, 6, 4)
        noise = torch.randn(2, 6, 4)
        mask = torch.zeros(2, 6, dtype=torch.bool)
        mask[:, 3:] = True
        t = torch.tensor([7, 1500])
        out = q_sample(x, t, noise, mask, sa, s1)
        for b in range(2):
            expect = sa[t[b]] * x[b, 3:] + s1[t[b]] * noise[b, 3:]
            self.assertTrue(torch.allclose(out[b, 3:], expect))
            self.assertTrue(torch.equal(out[b, :3], x[b, :3]))

    def test_absorbing_fraction_matches_rate(self):
        s1 = torch.tensor((1 - schedule.alphas_cumprod(T)) ** 0.5, dtype=torch.float32)
        gen = torch.Generator().manual_seed(3)
        B, L, d = 400, 50, 4
        mask = torch.zeros(B, L, dtype=torch.bool)
        mask[:, 10:] = True
        vec = torch.randn(d)
        for ti in (0, 200, 1000, 1999):
            x = torch.randn(B, L, d)
            t = torch.full((B,), ti, dtype=torch.long)
            xa, rep = absorb(x, vec, t, mask, s1, 0.5, generator=gen)
            p = 0.5 * float(s1[ti])
            frac = rep[mask].float().mean().item()
            n = int(mask.sum())
            self.assertLess(abs(frac - p), 5 * math.sqrt(p * (1 - p) / n) + 1e-4, f"t={ti}: {frac} vs {p}")
            # replaced vectors equal exactly the absorbing embedding; others are untouched
            self.assertTrue(torch.equal(xa[rep], vec.expand(int(rep.sum()), d)))
            self.assertTrue(torch.equal(xa[~rep], x[~rep]))
            self.assertFalse(rep[~mask].any())

    def test_absorbed_vectors_feed_the_noising(self):
        model, diff = make()
        ids, mask = rows(B=64, L=30, src=5)
        t = torch.full((64,), 1999)
        with torch.no_grad():
            n = diff.noised(ids, mask, t, generator=torch.Generator().manual_seed(5))
        rep = n["replaced"]
        self.assertTrue(rep.any())
        self.assertTrue(torch.equal(n["x_absorbed"][rep], model.absorb.detach().expand(int(rep.sum()), -1)))


class LossTest(unittest.TestCase):
    def test_parts_equal_hand_computation(self):
        model, diff = make(V=6, d=3)
        ids = torch.tensor([[1, 2, 3, 4], [5, 0, 1, 2]])
        mask = torch.tensor([[False, False, True, True], [False, True, True, True]])
        t = torch.tensor([0, 17])
        x_start = torch.randn(2, 4, 3)
        x_mean = torch.randn(2, 4, 3)
        x0 = torch.randn(2, 4, 3)
        out = diff.loss_terms(x0, x_start, x_mean, ids, mask, t)
        E = model.word_emb.weight.detach()
        sa_last = math.sqrt(schedule.alphas_cumprod(T)[-1])
        for b in range(2):
            pos = [i for i in range(4) if mask[b, i]]
            ref = x_mean if t[b] == 0 else x_start  # t == 0 rows regress onto the clean embedding mean
            mse = sum(((x0[b, i] - ref[b, i]) ** 2).mean().item() for i in pos) / len(pos)
            tT = sum(((sa_last * x_start[b, i]) ** 2).mean().item() for i in pos) / len(pos)
            nll = sum(F.cross_entropy((x_start[b, i] @ E.t())[None], ids[b, i][None]).item() for i in pos) / len(pos)
            self.assertAlmostEqual(out["mse"][b].item(), mse, places=5)
            self.assertAlmostEqual(out["tT"][b].item(), tT, places=9)
            self.assertAlmostEqual(out["nll"][b].item(), nll, places=5)
            self.assertAlmostEqual(out["loss"][b].item(), mse + tT + nll, places=5)

    def test_x0_ce_term_on_low_t_rows_only(self):
        torch.manual_seed(0)
        model = Denoiser(6, 40, T, dim=3, width=16, layers=1, heads=2, ffn_mult=2, dropout=0.0, time_dim=8)
        plain = DiffusionLoss(model, T)
        weighted = DiffusionLoss(model, T, x0_ce_weight=0.25, x0_ce_max_t=1000)
        ids = torch.tensor([[1, 2, 3, 4], [5, 0, 1, 2], [3, 3, 1, 0]])
        mask = torch.tensor([[False, False, True, True], [False, True, True, True], [False, True, True, False]])
        t = torch.tensor([0, 999, 1000])  # the last row is at the bound: not scored
        x_start, x_mean, x0 = torch.randn(3, 4, 3), torch.randn(3, 4, 3), torch.randn(3, 4, 3)
        base = plain.loss_terms(x0, x_start, x_mean, ids, mask, t)
        out = weighted.loss_terms(x0, x_start, x_mean, ids, mask, t)
        self.assertNotIn("x0ce", base)
        E = model.word_emb.weight.detach()
        for b in range(3):
            pos = [i for i in range(4) if mask[b, i]]
            ce = sum(F.cross_entropy((x0[b, i] @ E.t())[None], ids[b, i][None]).item() for i in pos) / len(pos)
            expect = ce if b < 2 else 0.0
            self.assertAlmostEqual(out["x0ce"][b].item(), expect, places=5)
            self.assertAlmostEqual(out["loss"][b].item(), base["loss"][b].item() + 0.25 * expect, places=5)
            for k in ("mse", "tT", "nll"):
                self.assertTrue(torch.equal(out[k][b], base[k][b]))

    def test_forward_backward_reaches_absorbing_vector(self):
        model, diff = make()
        ids, mask = rows(B=32, L=20, src=5)
        terms = diff(ids, mask, torch.full((32,), 1999))
        terms["loss"].mean().backward()
        self.assertIsNotNone(model.absorb.grad)
        self.assertGreater(model.absorb.grad.abs().sum().item(), 0)
        self.assertEqual(set(terms), {"loss", "mse", "tT", "nll"})


if __name__ == "__main__":
    unittest.main()


class OfficialForwardProcessTest(unittest.TestCase):
    """DiffuSeq-v2's own q_sample: a Gaussian centred on m, then exactly m at rate gamma * sqrt(1 - abar_t)."""

    def test_hand_computed_values(self):
        from diffuseq_trainer.diffusion import q_sample_official

        # One row: 1 source position, 2 target positions, d = 2; sqrt(abar_t) = 0.6, sqrt(1 - abar_t) = 0.8.
        sa, s1 = torch.tensor([1.0, 0.6]), torch.tensor([0.0, 0.8])
        x = torch.tensor([[[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]])
        noise = torch.tensor([[[9.0, 9.0], [1.0, 2.0], [-1.0, 0.0]]])
        m = torch.tensor([0.25, -0.5])
        mask = torch.tensor([[False, True, True]])
        t = torch.tensor([1])
        # rate 0.5 -> p = 0.5 * 0.8 = 0.4: the draw 0.1 absorbs position 2, 0.9 keeps position 1.
        rand = torch.tensor([[0.0, 0.9, 0.1]])
        out, replaced = q_sample_official(x, t, noise, mask, m, sa, s1, 0.5, rand)
        # position 1: 0.6 * ((3, -1) - (0.25, -0.5)) + 0.8 * (1, 2) + (0.25, -0.5) = (2.7, 0.8)
        torch.testing.assert_close(out[0, 1], torch.tensor([2.7, 0.8]))
        self.assertTrue(torch.equal(out[0, 2], m), "an absorbed position is exactly m, not m plus noise")
        self.assertTrue(torch.equal(out[0, 0], x[0, 0]), "the source is untouched (even where rand < p)")
        self.assertEqual(replaced.tolist(), [[False, False, True]])

    def test_loss_module_uses_it_and_centres_the_prior_on_m(self):
        torch.manual_seed(0)
        model = Denoiser(30, 40, T, dim=8, width=16, layers=1, heads=2, ffn_mult=2, dropout=0.0, time_dim=8)
        diff = DiffusionLoss(model, T, absorbing_rate=0.5, forward_process="official")
        ids, mask = rows()
        t = torch.full((4,), T - 1)
        with torch.no_grad():
            n = diff.noised(ids, mask, t, generator=torch.Generator().manual_seed(1))
        m = model.absorb
        absorbed = n["replaced"]
        self.assertTrue(absorbed.any() and (~absorbed & mask).any())
        self.assertTrue(torch.equal(n["x_t"][absorbed], m.expand(int(absorbed.sum()), -1)))
        # Away from the absorbed positions, at t = T the state is m + ~N(0, I): centred on m.
        rest = n["x_t"][~absorbed & mask] - m
        self.assertLess(rest.mean().abs().item(), 0.35)
        with torch.no_grad():
            x0 = torch.zeros_like(n["x_start"])
            terms = diff.loss_terms(x0, n["x_start"], n["x_start_mean"], ids, mask, t)
        sa_T = diff.sqrt_ac[-1]
        expect = ((sa_T * (n["x_start"] - m)) ** 2).mean(-1)[mask].view(4, -1).mean(1)
        torch.testing.assert_close(terms["tT"], expect)

    def test_absorbing_vector_starts_small_only_for_the_official_process(self):
        from diffuseq_trainer.config import load_config

        norms = {}
        for fp in ("official", "replace-before-noise"):
            torch.manual_seed(0)
            cfg = load_config(None, {"model": {"dim": 64}, "diffusion": {"forwardProcess": fp}})
            norms[fp] = Denoiser.from_config(cfg, 30, 40).absorb.norm().item()
        self.assertAlmostEqual(norms["official"] * 8, norms["replace-before-noise"], places=4)  # 1/sqrt(64)
        self.assertLess(norms["official"], 2.0)

    def test_unknown_process_is_refused(self):
        model, _ = make()
        with self.assertRaises(ValueError):
            DiffusionLoss(model, T, forward_process="official-ish")
