"""Time one training step (forward + backward of DiffusionLoss) of a config in fp32 and bf16 on this CPU.

    PYTHONPATH=src/trainer/python python3 src/trainer/python/tools/train_speed.py \
        --config src/trainer/configs/cpu-default.json --data runs/prep-full [--rows 128] [--steps 4]
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 python3 …   (the same with tcmalloc)

Prints one JSON line per dtype: seconds per step, tokens/s, and the allocator this process runs on. No
optimizer step; the numbers are what `train.dtype: "auto"` compares before a run.

    … train_speed.py --config C --data D --trainer-steps 12

times whole trainer steps instead (the config's own batch size, dtype, self-conditioning and loss terms;
forward, backward, AdamW, EMA, the next batch): the mean seconds per step, which sizes an equal-wall-time
run (tools/recipe_compare.py).
"""

import argparse
import json
import tempfile
import time

from diffuseq_trainer.config import load_config
from diffuseq_trainer.devices import allocator_in_use
from diffuseq_trainer.precision import autocast_for, time_steps
from diffuseq_trainer.train import Trainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=128)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--trainer-steps", type=int, default=0, help="time this many whole trainer steps instead")
    a = ap.parse_args()
    if a.trainer_steps:
        print(json.dumps(time_trainer_steps(a.config, a.data, a.trainer_steps, a.threads)), flush=True)
        return
    cfg = load_config(a.config, {"train": {"batchSize": a.rows, "dtype": "fp32", "threads": a.threads}})
    tr = Trainer(cfg, a.data, tempfile.mkdtemp(prefix="train-speed-"), device="cpu")
    ids, mask = tr.stream.make_batch(tr.next_idx)
    T = cfg["diffusion"]["steps"]
    for d in a.dtypes.split(","):
        s = time_steps(tr.loss_mod, ids, mask, autocast_for("cpu", d), T, steps=a.steps)
        print(
            json.dumps(
                {
                    "config": cfg["name"],
                    "dtype": d,
                    "allocator": allocator_in_use(),
                    "rows": ids.shape[0],
                    "length": ids.shape[1],
                    "secondsPerStep": round(s, 3),
                    "tokensPerSec": round(ids.numel() / s),
                }
            ),
            flush=True,
        )


def time_trainer_steps(config, data, steps, threads):
    """Mean seconds of `steps` whole Trainer.train_step() calls after two warm-up steps. The mean, not the
    median: self-conditioning makes every other step dearer at random."""
    cfg = load_config(config, {"train": {"threads": threads}} if threads else None)
    tr = Trainer(cfg, data, tempfile.mkdtemp(prefix="train-speed-"), device="cpu")
    for _ in range(2):
        tr.train_step()
    t0, tokens = time.perf_counter(), 0
    for _ in range(steps):
        tokens += tr.train_step()[2]
    s = (time.perf_counter() - t0) / steps
    return {
        "config": config,
        "dtype": tr.dtype,
        "allocator": allocator_in_use(),
        "rows": cfg["train"]["batchSize"],
        "secondsPerStep": round(s, 4),
        "tokensPerSec": round(tokens / steps / s),
    }


if __name__ == "__main__":
    main()
