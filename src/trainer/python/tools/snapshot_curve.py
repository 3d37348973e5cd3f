"""The learning curve of a run from its weight snapshots: step, tokens seen, training seconds, and the trainer's
own validation measures recomputed with the current code (validLoss is not: it needs the loss module's fixed
rows), on the first N validation examples of the data the run was trained on.

    PYTHONPATH=src/trainer/python python3 src/trainer/python/tools/snapshot_curve.py runs/snapshots/step-*.pt \
        [--examples 64] [--data runs/prep-full]

Prints one JSON line per snapshot: step, tokensSeen, trainingSeconds, validBleu, validUnchanged, sourceGain.
"""

import argparse
import json

import torch

from diffuseq_trainer import ckpt as ckpt_io
from diffuseq_trainer.data import PreparedData
from diffuseq_trainer.decode import validation_decode
from diffuseq_trainer.diffusion import DiffusionLoss
from diffuseq_trainer.probes import source_gain, source_probe_batches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("snapshots", nargs="+")
    ap.add_argument("--examples", type=int, default=64)
    ap.add_argument("--data")
    a = ap.parse_args()
    rows = []
    for path in a.snapshots:
        ck = ckpt_io.load(path)
        cfg = ck["config"]
        data = PreparedData(a.data or ck["dataDir"])
        model = ckpt_io.build_model(ck).eval()
        T = cfg["diffusion"]["steps"]
        tb = cfg["lengths"]["targetBudget"]
        split = data.split("valid")
        examples = [split.example(i) for i in range(min(a.examples, len(split)))]
        bf16 = lambda: torch.autocast("cpu", dtype=torch.bfloat16)  # noqa: E731
        with torch.no_grad():
            fp = cfg["diffusion"].get("forwardProcess", "replace-before-noise")
            dec = validation_decode(
                model,
                examples,
                data.pad,
                data.sep,
                data.max_target,
                tb["ratio"],
                tb["extra"],
                T,
                autocast=bf16,
                forward_process=fp,
            )
            loss = DiffusionLoss.from_config(model, cfg["diffusion"], training=False)
            gain = source_gain(loss, *source_probe_batches(data, cfg, cfg["train"]["validBatchSize"]), T, "cpu", bf16)
        row = {
            "step": ck["step"],
            "tokensSeen": ck["tokensSeen"],
            "trainingSeconds": round(ck["trainingSeconds"]),
            "validBleu": round(dec["bleu"], 4),
            "validUnchanged": round(dec["unchanged"], 4),
            "sourceGain": round(gain, 4),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
