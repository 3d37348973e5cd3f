import math
import unittest

import torch
import torch.nn as nn

from diffuseq_trainer.decode import (
    DiscreteVP,
    cut_target,
    dpm_solver_pp_2m,
    round_tokens,
    sentence_bleu,
    validation_bleu,
    validation_decode,
)


class BleuTest(unittest.TestCase):
    def test_identical(self):
        self.assertAlmostEqual(sentence_bleu([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), 1.0)

    def test_method4_smoothing_by_hand(self):
        ref, hyp = [1, 2, 3, 4, 5], [1, 2, 3, 9, 8]
        p = [3 / 5, 2 / 4, 1 / 3, (1 / (2 * 5 / math.log(5))) / 2]  # 4-grams: 0 of 2, smoothed
        expect = math.exp(sum(math.log(x) for x in p) / 4)
        self.assertAlmostEqual(sentence_bleu(ref, hyp), expect, places=12)

    def test_brevity_and_zero(self):
        self.assertEqual(sentence_bleu([1, 2], []), 0.0)
        self.assertEqual(sentence_bleu([1, 2], [3, 4]), 0.0)
        short = sentence_bleu([1, 2, 3, 4, 5, 6], [1, 2, 3])
        self.assertLess(short, sentence_bleu([1, 2, 3], [1, 2, 3]))

    def test_cut(self):
        self.assertEqual(cut_target([5, 6, 2, 7, 0], sep=2, pad=0), [5, 6])


class OracleDenoiser(nn.Module):
    """Predicts the true clean embeddings: the solver must then land on them."""

    self_conditioning = False

    def __init__(self, emb, ids):
        super().__init__()
        self.word_emb = nn.Embedding.from_pretrained(emb)
        self.ids = ids

    def get_embeds(self, ids):
        return self.word_emb(ids)

    def embedding_table(self):
        return self.word_emb.weight

    def forward(self, x, t, sc=None, target_start=None):
        return self.word_emb(self.ids[: x.shape[0], : x.shape[1]])


class SolverTest(unittest.TestCase):
    def test_vp_time_convention(self):
        vp = DiscreteVP(2000)
        self.assertAlmostEqual(vp.model_time(1.0), 1999.0)
        self.assertAlmostEqual(vp.model_time(1 / 2000), 0.0)
        self.assertGreater(vp.lam(1 / 2000), vp.lam(1.0))
        self.assertAlmostEqual(vp.t_of_lambda(vp.lam(0.5)), 0.5, places=6)

    def test_oracle_denoiser_is_reproduced(self):
        torch.manual_seed(0)
        V, d = 20, 16
        emb = torch.randn(V, d) * 2
        ids = torch.randint(3, V, (3, 10))
        src = torch.zeros(3, 10, dtype=torch.bool)
        src[:, :4] = True
        den = OracleDenoiser(emb, ids)
        for steps in (2, 5, 10):
            x = dpm_solver_pp_2m(den, emb[ids], src, DiscreteVP(2000), steps, torch.Generator().manual_seed(1))
            self.assertTrue(torch.equal(round_tokens(x, emb), ids), f"{steps} steps")

    def test_validation_bleu_of_oracle(self):
        torch.manual_seed(0)
        V, d, PAD, SEP = 12, 16, 0, 1
        emb = torch.randn(V, d) * 2
        src = [10, 4, 5, 6, SEP]  # n = 3 -> budget ceil(3.9)+4 = 8
        trg = [7, 8, 9, SEP]
        row = torch.tensor([src + trg + [PAD] * 4])
        den = OracleDenoiser(emb, row)
        bleu = validation_bleu(den, [(src, trg)], PAD, SEP, 20, 1.3, 4, 2000, steps=5)
        self.assertAlmostEqual(bleu, sentence_bleu([7, 8, 9], [7, 8, 9]))

    def test_unchanged_share(self):
        torch.manual_seed(0)
        V, d, PAD, SEP = 12, 16, 0, 1
        emb = torch.randn(V, d) * 2
        src = [10, 4, 5, 6, SEP]
        # The oracle writes the source's own words back: unchanged. Then other words: changed.
        for trg, want in (([4, 5, 6, SEP], 1.0), ([7, 8, 9, SEP], 0.0)):
            row = torch.tensor([src + trg + [PAD] * 4])
            out = validation_decode(OracleDenoiser(emb, row), [(src, trg)], PAD, SEP, 20, 1.3, 4, 2000, steps=5)
            self.assertEqual(out["unchanged"], want)


if __name__ == "__main__":
    unittest.main()
