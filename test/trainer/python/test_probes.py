import unittest

import torch

from diffuseq_trainer.config import resolve_budget
from diffuseq_trainer.data import PreparedData
from diffuseq_trainer.diffusion import DiffusionLoss
from diffuseq_trainer.model import Denoiser
from diffuseq_trainer.probes import source_gain, source_probe_batches
from helpers import fake_data_dir, tiny_config


def parts(ids, mask, pad):
    """(source tokens, target tokens without trailing pads) of each row."""
    out = []
    for r in range(ids.shape[0]):
        src = ids[r][~mask[r]].tolist()
        trg = ids[r][mask[r]].tolist()
        while trg and trg[-1] == pad:
            trg.pop()
        out.append((src, trg))
    return out


class CopyOracleLoss(torch.nn.Module):
    """Stands in for DiffusionLoss: per-row MSE 1 when the row's target repeats its source's words, else 3."""

    def __init__(self, pad, sep):
        super().__init__()
        self.pad, self.sep = pad, sep

    def forward(self, ids, mask, t, self_cond=False, generator=None):
        mse = []
        for src, trg in parts(ids, mask, self.pad):
            mse.append(1.0 if src[1:-1] == trg[:-1] else 3.0)  # drop [TASK]/[SEP] and the target's [SEP]
        return {"mse": torch.tensor(mse)}


class SourceProbeTest(unittest.TestCase):
    def setUp(self):
        self.data = PreparedData(fake_data_dir())
        self.cfg = resolve_budget(tiny_config(), self.data.meta)

    def test_same_targets_rotated_sources(self):
        (ids_t, mask_t), (ids_s, mask_s) = source_probe_batches(self.data, self.cfg, 6)
        pad = self.data.pad
        true, swapped = parts(ids_t, mask_t, pad), parts(ids_s, mask_s, pad)
        self.assertEqual([t for _, t in true], [t for _, t in swapped])
        self.assertEqual([s for s, _ in swapped], [true[(i + 1) % 6][0] for i in range(6)])

    def test_gain_is_exact_for_a_model_that_copies_its_source(self):
        # Rows whose target copies the source: 1 with the true source, 3 with a swapped one -> (3 - 1) / 3.
        (ids, mask), _ = source_probe_batches(self.data, self.cfg, 4)
        pad, sep = self.data.pad, self.data.sep
        src_tokens = [s[1:-1] for s, _ in parts(ids, mask, pad)]
        rows = [(torch.tensor(s), torch.tensor(s[1:-1] + [sep])) for s in [p[0] for p in parts(ids, mask, pad)]]
        split = self.data.split("valid")
        orig = split.example
        try:
            split.example = lambda i: (rows[i][0].numpy(), rows[i][1].numpy())
            true_b, swapped_b = source_probe_batches(self.data, self.cfg, 4)
        finally:
            split.example = orig
        self.assertTrue(src_tokens)
        g = source_gain(CopyOracleLoss(pad, sep), true_b, swapped_b, 100, torch.device("cpu"))
        self.assertAlmostEqual(g, 2.0 / 3.0, places=6)

    def test_an_untrained_model_ignores_the_source(self):
        cfg = self.cfg
        m = cfg["model"]
        model = Denoiser(
            self.data.vocab_size,
            self.data.max_len,
            100,
            dim=m["dim"],
            width=m["width"],
            layers=m["layers"],
            heads=m["heads"],
            ffn_mult=m["ffnMult"],
            dropout=0.0,
            time_dim=m["timeDim"],
        ).eval()
        loss = DiffusionLoss(model, 100)
        true_b, swapped_b = source_probe_batches(self.data, cfg, 32)
        g = source_gain(loss, true_b, swapped_b, 100, torch.device("cpu"))
        self.assertLess(abs(g), 0.1)


if __name__ == "__main__":
    unittest.main()
