import unittest

import torch

from diffuseq_trainer.model import HAS_SDPA, Denoiser, count_parameters


def tiny(sc=False, positions="absolute"):
    torch.manual_seed(0)
    return Denoiser(
        50,
        32,
        2000,
        dim=8,
        width=32,
        layers=2,
        heads=4,
        ffn_mult=2,
        dropout=0.1,
        time_dim=16,
        self_conditioning=sc,
        target_positions=positions,
    )


class ModelTest(unittest.TestCase):
    def test_shapes_any_batch_and_length(self):
        m = tiny().eval()
        for B, L in ((1, 1), (3, 17), (2, 32)):
            out = m(torch.randn(B, L, 8), torch.rand(B) * 1999)
            self.assertEqual(out.shape, (B, L, 8))

    def test_fractional_timestep_changes_output(self):
        m = tiny().eval()
        x = torch.randn(1, 5, 8)
        a = m(x, torch.tensor([100.0]))
        b = m(x, torch.tensor([100.5]))
        self.assertFalse(torch.equal(a, b))

    def test_eval_is_deterministic_and_train_uses_dropout(self):
        m = tiny()
        x, t = torch.randn(2, 6, 8), torch.tensor([3.0, 900.0])
        m.eval()
        self.assertTrue(torch.equal(m(x, t), m(x, t)))
        m.train()
        self.assertFalse(torch.equal(m(x, t), m(x, t)))

    def test_explicit_attention_matches_sdpa(self):
        m = tiny().eval()
        x, t = torch.randn(2, 9, 8), torch.tensor([3.0, 900.0])
        m.set_explicit_attention(False)
        a = m(x, t)
        m.set_explicit_attention(True)
        b = m(x, t)
        self.assertTrue(torch.allclose(a, b, atol=1e-5), f"SDPA available: {HAS_SDPA}")

    def test_self_conditioning_input(self):
        m = tiny(sc=True).eval()
        x, t = torch.randn(2, 4, 8), torch.tensor([1.0, 2.0])
        self.assertTrue(torch.equal(m(x, t), m(x, t, torch.zeros_like(x))), "missing x_self_cond = zeros")
        self.assertEqual(m.input_up_proj[0].in_features, 16)

    def test_embedding_parts(self):
        m = tiny()
        self.assertEqual(tuple(m.word_emb.weight.shape), (50, 8))
        self.assertEqual(tuple(m.absorb.shape), (8,))
        ids = torch.tensor([[1, 2]])
        self.assertEqual(m.get_logits(m.get_embeds(ids)).shape, (1, 2, 50))
        self.assertGreater(count_parameters(m), 0)


class RestartPositionsTest(unittest.TestCase):
    def test_target_positions_restart_at_target_start(self):
        m = tiny(positions="restart")
        P, S = m.pos_emb.weight, m.seg_emb.weight
        feats = m.position_features(6, torch.tensor([2, 4]), "cpu")
        # row 0: source 0, 1 | target 0, 1, 2, 3; row 1: source 0..3 | target 0, 1
        expect = torch.stack(
            [
                torch.stack([P[0] + S[0], P[1] + S[0], P[0] + S[1], P[1] + S[1], P[2] + S[1], P[3] + S[1]]),
                torch.stack([P[0] + S[0], P[1] + S[0], P[2] + S[0], P[3] + S[0], P[0] + S[1], P[1] + S[1]]),
            ]
        )
        self.assertTrue(torch.allclose(feats, expect))

    def test_absolute_layout_ignores_target_start(self):
        m = tiny().eval()
        self.assertIsNone(m.seg_emb)
        x, t = torch.randn(2, 5, 8), torch.tensor([3.0, 9.0])
        self.assertTrue(torch.equal(m(x, t), m(x, t, None, torch.tensor([1, 3]))))

    def test_restart_layout_needs_and_reads_target_start(self):
        m = tiny(positions="restart").eval()
        x, t = torch.randn(2, 5, 8), torch.tensor([3.0, 9.0])
        with self.assertRaisesRegex(ValueError, "needs target_start"):
            m(x, t)
        a = m(x, t, None, torch.tensor([2, 2]))
        b = m(x, t, None, torch.tensor([2, 3]))
        self.assertTrue(torch.equal(a[0], b[0]), "rows are independent")
        self.assertFalse(torch.equal(a[1], b[1]))

    def test_unknown_layout_is_refused(self):
        with self.assertRaisesRegex(ValueError, "targetPositions"):
            tiny(positions="relative")


if __name__ == "__main__":
    unittest.main()
