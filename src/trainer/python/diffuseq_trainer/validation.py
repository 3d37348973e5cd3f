"""What a run measures of its EMA weights at every eval: the held-out loss on fixed rows, noise and timesteps
(validLoss), whether the model reads its source (sourceGain, probes.py), and a small BLEU decode of the first
validation examples (validBleu, validUnchanged). Without a validation split there is nothing to measure.
"""

import torch

from .data import fixed_batches
from .decode import validation_decode
from .probes import source_gain, source_probe_batches


class Validation:
    def __init__(self, data, cfg, device):
        self.data, self.cfg, self.tc, self.device = data, cfg, cfg["train"], device
        self.batches = (
            fixed_batches(data, "valid", cfg, self.tc["validBatchSize"], self.tc["validBatches"])
            if len(data.split("valid"))
            else []
        )
        self.source_probe = source_probe_batches(data, cfg, self.tc["validBatchSize"]) if self.batches else None

    @torch.no_grad()
    def __call__(self, ema, ema_loss, autocast):
        """{validLoss, sourceGain, validBleu, validUnchanged} of `ema` (ema_loss wraps it), or {} without data."""
        out = {}
        if not self.batches:
            return out
        ema.eval()
        T = self.cfg["diffusion"]["steps"]
        gen = torch.Generator(device=self.device).manual_seed(1234)
        total, n = 0.0, 0
        for ids, mask in self.batches:
            ids, mask = ids.to(self.device), mask.to(self.device)
            t = torch.linspace(0, T - 1, ids.shape[0], device=self.device).round().long()
            with autocast():
                terms = ema_loss(ids, mask, t, False, generator=gen)
            total += float(terms["loss"].float().sum())
            n += ids.shape[0]
        out["validLoss"] = total / n
        if self.source_probe:
            out["sourceGain"] = source_gain(ema_loss, *self.source_probe, T, self.device, autocast)
        k = self.tc["bleuExamples"]
        if k > 0:
            split = self.data.split("valid")
            examples = [split.example(i) for i in range(min(k, len(split)))]
            tb = self.cfg["lengths"]["targetBudget"]
            dec = validation_decode(
                ema,
                examples,
                self.data.pad,
                self.data.sep,
                self.data.max_target,
                tb["ratio"],
                tb["extra"],
                T,
                steps=self.tc["bleuSteps"],
                device=self.device,
                autocast=autocast,
                forward_process=self.cfg["diffusion"]["forwardProcess"],
            )
            out["validBleu"], out["validUnchanged"] = dec["bleu"], dec["unchanged"]
        return out
