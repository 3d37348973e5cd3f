"""The `sqrt` noise schedule of Diffusion-LM / DiffuSeq, exactly as docs/model-format.md defines it.

abar(s) = 1 - sqrt(s + 1e-4) for s in [0, 1]
beta_i  = min(1 - abar((i+1)/T) / abar(i/T), 0.999)      i = 0 .. T-1
alphas_cumprod[i] = prod_{j<=i} (1 - beta_j)

Computed in float64 (the TypeScript engine does the same) and only cast to float32 where tensors need it.
"""

import math

import numpy as np

MAX_BETA = 0.999


def sqrt_alpha_bar(s):
    """The continuous sqrt schedule abar(s); s in [0, 1]."""
    return 1.0 - math.sqrt(s + 0.0001)


def betas(num_steps):
    """beta_i for i = 0..T-1 (float64), clipped at 0.999 like DiffuSeq's betas_for_alpha_bar."""
    out = np.empty(num_steps, dtype=np.float64)
    for i in range(num_steps):
        t1 = i / num_steps
        t2 = (i + 1) / num_steps
        out[i] = min(1.0 - sqrt_alpha_bar(t2) / sqrt_alpha_bar(t1), MAX_BETA)
    return out


def alphas_cumprod(num_steps, schedule="sqrt"):
    """alphas_cumprod[i] = prod_{j<=i}(1 - beta_j): the signal fraction at timestep index i."""
    if schedule != "sqrt":
        raise ValueError(f"unknown noise schedule {schedule!r} (only 'sqrt' is supported)")
    return np.cumprod(1.0 - betas(num_steps))
