"""In which precision a run trains: bf16 autocast or fp32, set by train.dtype, or "auto" (bf16 on CUDA; on the CPU,
whichever of the two a few timed steps on a real batch show clearly faster).
"""

import contextlib
import time

import numpy as np
import torch

DTYPES = ("auto", "bf16", "fp32")


def autocast_for(device_type, dtype):
    """A context factory: bf16 autocast on this device type, or nothing for fp32."""
    if dtype == "bf16":
        return lambda: torch.autocast(device_type, dtype=torch.bfloat16)
    return contextlib.nullcontext


def cpu_bf16_supported():
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return torch.ones(2, 2) @ torch.ones(2, 2) is not None
    except (RuntimeError, TypeError, AttributeError):
        return False


def cpu_dtype_untimed(asked):
    """The distillation teacher's choice (teacher.py): "auto" is bf16 wherever the CPU has bf16 autocast."""
    if asked in ("fp32", "bf16"):
        return asked
    return "bf16" if cpu_bf16_supported() else "fp32"


def choose_dtype(asked, device_type, time_both):
    """(dtype, reason) for train.dtype `asked` on this device type. time_both() -> {"fp32": s, "bf16": s} per
    step is called only for "auto" on a CPU with bf16 autocast (AMX makes bf16 ~4x faster here; without
    AMX/AVX512-BF16 it can be slower)."""
    if asked not in DTYPES:
        raise ValueError(f'train.dtype must be "auto", "bf16" or "fp32", not {asked!r}')
    if asked in ("bf16", "fp32"):
        return asked, "set by train.dtype"
    if device_type == "cuda":
        return "bf16", "auto on CUDA"
    if not cpu_bf16_supported():
        return "fp32", "auto: this torch has no bf16 autocast on the CPU"
    return pick_dtype(time_both())


def time_both_dtypes(loss_mod, ids, mask, num_timesteps):
    """{"fp32": s, "bf16": s}: time_steps of each on the CPU, leaving torch's RNG and the gradients as they were,
    so the run's first real step is the one it would take with that dtype forced."""
    rng = torch.get_rng_state()
    timings = {d: time_steps(loss_mod, ids, mask, autocast_for("cpu", d), num_timesteps) for d in ("fp32", "bf16")}
    torch.set_rng_state(rng)
    loss_mod.zero_grad(set_to_none=True)
    return timings


def time_steps(loss_mod, ids, mask, autocast, num_timesteps, steps=3):
    """Median seconds of forward+backward on one batch (after one warm-up step); no optimizer step."""
    gen = torch.Generator().manual_seed(0)
    t = torch.randint(0, num_timesteps, (ids.shape[0],), generator=gen)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        with autocast():
            loss = loss_mod(ids, mask, t, False)["loss"].mean()
        loss.backward()
        if i:
            times.append(time.perf_counter() - t0)
    loss_mod.zero_grad(set_to_none=True)
    return float(np.median(times))


def pick_dtype(timings, margin=0.9):
    """bf16 only when it is clearly faster (by more than 1 - margin): its rounding costs a little quality,
    so a tie keeps fp32. timings: {"fp32": s, "bf16": s} per step."""
    fp32, bf16 = timings["fp32"], timings["bf16"]
    why = f"auto: timed fp32 {fp32 * 1e3:.0f} ms, bf16 {bf16 * 1e3:.0f} ms per step"
    return ("bf16" if bf16 < margin * fp32 else "fp32"), why
