"""Does the model read its source? A held-out probe logged with every eval.

Early in training a DiffuSeq model learns the targets' marginal statistics long before it learns to use the
source (measured on the CPU stopgap: after 1 300 steps its x0 error was the same with the right sources and
with swapped ones). The validation loss cannot tell those phases apart; this probe can:

    sourceGain = (MSE with swapped sources - MSE with the true sources) / MSE with swapped sources

on the same targets, timesteps and noise. 0 = the source is ignored; it grows as the model learns to
condition (and a rising BLEU needs it to).
"""

import torch

from .data import collate


def source_probe_batches(data, cfg, n):
    """The first n validation examples laid out twice: with their own sources, and each with the source of
    the next example (a rotation, so no example keeps its own). Returns ((ids, mask), (ids, mask))."""
    split = data.split("valid")
    n = min(n, len(split))
    if n < 2:
        return None
    ex = [split.example(i) for i in range(n)]
    swapped = [(ex[(i + 1) % n][0], ex[i][1]) for i in range(n)]
    tb = cfg["lengths"]["targetBudget"]
    pm = cfg["lengths"].get("padMultiple", 1)
    lay = lambda e: collate(e, data.pad, data.max_len, data.max_target, tb["ratio"], tb["extra"], pm)
    return lay(ex), lay(swapped)


@torch.no_grad()
def source_gain(
    loss_mod, true_batch, swapped_batch, num_timesteps, device, autocast=None, fractions=(0.25, 0.5, 0.75), seed=0
):
    """Relative increase of the x0 MSE on the targets when the sources are swapped, over a few timesteps."""
    mse = {}
    for name, (ids, mask) in (("true", true_batch), ("swapped", swapped_batch)):
        ids, mask = ids.to(device), mask.to(device)
        total = 0.0
        for f in fractions:
            t = torch.full((ids.shape[0],), int(f * (num_timesteps - 1)), device=device, dtype=torch.long)
            gen = torch.Generator(device=device).manual_seed(seed)
            ctx = autocast() if autocast else torch.no_grad()
            with ctx:
                total += float(loss_mod(ids, mask, t, False, generator=gen)["mse"].float().mean())
        mse[name] = total / len(fractions)
    return (mse["swapped"] - mse["true"]) / max(mse["swapped"], 1e-12)
