"""Time one training step (forward + backward of DiffusionLoss) of a config in fp32 and bf16 on this CPU.

    PYTHONPATH=src/trainer/python python3 src/trainer/python/tools/train_speed.py \
        --config src/trainer/configs/cpu-default.json --data runs/prep-full [--rows 128] [--steps 4]
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 python3 …   (the same with tcmalloc)

Prints one JSON line per dtype: seconds per step, tokens/s, and the allocator this process runs on. No
optimizer step; the numbers are what `train.dtype: "auto"` compares before a run.
"""

import argparse
import json
import tempfile

from diffuseq_trainer.config import load_config
from diffuseq_trainer.train import Trainer, allocator_in_use, autocast_for, time_steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=128)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dtypes", default="fp32,bf16")
    a = ap.parse_args()
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


if __name__ == "__main__":
    main()
