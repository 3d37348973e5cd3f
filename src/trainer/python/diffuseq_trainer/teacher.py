"""A small autoregressive seq2seq teacher, trained on the same prepared pairs with the same tokenizer, whose
greedy outputs replace (or join) the diffusion model's training targets: sequence-level knowledge
distillation (Kim & Rush 2016), the standard lever of non-autoregressive generation (Mask-Predict, Difformer's
reproductions). An autoregressive model learns far more per FLOP than continuous diffusion, and its outputs are
one consistent paraphrase per source instead of the references' many: the student has less to average over.
The teacher is a training aid here, not part of the shipped engine.

    PYTHONPATH=src/trainer/python python3 -m diffuseq_trainer.teacher train --data runs/prep-full \\
        --out runs/teacher [--minutes 50] [--steps 12000] [--resume]
    … teacher eval --teacher runs/teacher --data runs/prep-full [--limit 200]
    … teacher distil --teacher runs/teacher --data runs/prep-full --out runs/prep-distil [--mode replace|both]

This file: the command line and the teacher's training (label smoothing 0.1, AdamW, linear warm-up then cosine,
bf16 autocast on CPUs that support it; checkpoints, RUN/teacher.pt, atomic, every few minutes and at the end;
--resume continues). The model, its batches and checkpoint: teacher_model.py; greedy decoding, `eval` and
`distil`: teacher_distil.py.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from . import ckpt as ckpt_io
from .data import BatchStream, PreparedData
from .entry import log, run_main
from .precision import autocast_for, cpu_dtype_untimed
from .teacher_distil import distil, eval_cmd
from .teacher_model import TEACHER_FILE, build, teacher_batch, teacher_loss

DEFAULTS = {
    "model": {"dim": 192, "heads": 4, "encLayers": 3, "decLayers": 3, "ffn": 768, "dropout": 0.1},
    "train": {
        "seed": 1234,
        "batchSize": 64,
        "lr": 1e-3,
        "minLrRatio": 0.1,
        "warmupSteps": 200,
        "steps": 12000,
        "weightDecay": 0.01,
        "labelSmoothing": 0.1,
        "gradClip": 1.0,
        "threads": 0,
        "checkpointMinutes": 5,
        "logEvery": 50,
    },
    "data": {"taskWeights": {"paraphrase": 1.0, "simplify": 1.0}},
}


def lr_at(step, tc):
    if step < tc["warmupSteps"]:
        return tc["lr"] * (step + 1) / tc["warmupSteps"]
    p = min(1.0, (step - tc["warmupSteps"]) / max(1, tc["steps"] - tc["warmupSteps"]))
    lo = tc["minLrRatio"]
    return tc["lr"] * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * p)))


def merged_config(overrides):
    cfg = json.loads(json.dumps(DEFAULTS))
    for section, values in (overrides or {}).items():
        cfg[section].update(values)
    return cfg


def train(args):
    data = PreparedData(args.data)
    ck_path = os.path.join(args.out, "teacher.pt")
    state = ckpt_io.read(ck_path, TEACHER_FILE) if args.resume and os.path.exists(ck_path) else None
    if state is None and os.path.exists(ck_path) and not args.overwrite:
        sys.exit(f"{ck_path} exists: --resume to continue it, --overwrite to start over")
    cfg = state["config"] if state else merged_config(json.loads(args.config) if args.config else None)
    if args.steps:
        cfg["train"]["steps"] = args.steps
    tc = cfg["train"]
    torch.manual_seed(tc["seed"])
    if args.threads or tc["threads"]:
        torch.set_num_threads(args.threads or tc["threads"])
    model = build(data, cfg)
    opt = model.configure_optimizer(tc["weightDecay"], tc["lr"])
    stream = BatchStream(
        data,
        "train",
        tc["batchSize"],
        {"lengths": {"targetBudget": {"ratio": 1.5, "extra": 6}}, "data": cfg["data"]},
        tc["seed"],
    )
    step, tokens, seconds = 0, 0, 0.0
    history = []
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        stream.load_state_dict(state["stream"])
        step, tokens, seconds, history = state["step"], state["tokensSeen"], state["trainingSeconds"], state["history"]
        log(f"resumed at step {step} from {ck_path}")
    dtype = cpu_dtype_untimed(args.dtype)
    autocast = autocast_for("cpu", dtype)
    n_params = sum(p.numel() for p in model.parameters())
    log(
        f"teacher: {n_params / 1e6:.2f} M parameters, {dtype}, {torch.get_num_threads()} threads, "
        f"{tc['steps']} steps x {tc['batchSize']} rows"
    )
    os.makedirs(args.out, exist_ok=True)

    def save():
        ckpt_io.atomic_save(
            {
                "config": cfg,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "stream": stream.state_dict(),
                "step": step,
                "tokensSeen": tokens,
                "trainingSeconds": seconds,
                "history": history,
                "dtype": dtype,
                "data": os.path.abspath(args.data),
                "params": n_params,
            },
            ck_path,
        )

    start = time.time()
    last_save = time.time()
    window = []
    model.train()
    while step < tc["steps"]:
        if args.minutes and time.time() - start > args.minutes * 60:
            log(f"--minutes {args.minutes} reached at step {step}")
            break
        t0 = time.perf_counter()
        examples = [stream.split.example(int(i)) for i in stream.next_indices()]
        batch = teacher_batch(examples, data.pad)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, tc)
        with autocast():
            loss = teacher_loss(model, batch, tc["labelSmoothing"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), tc["gradClip"])
        opt.step()
        step += 1
        tokens += int((~batch[1]).sum() + (~batch[3]).sum())
        seconds += time.perf_counter() - t0
        window.append(float(loss.detach()))
        if step % tc["logEvery"] == 0:
            rec = {
                "step": step,
                "loss": float(np.mean(window)),
                "lr": lr_at(step, tc),
                "tokensSeen": tokens,
                "trainingSeconds": round(seconds, 1),
            }
            history.append(rec)
            window = []
            print(json.dumps(rec), flush=True)
        if time.time() - last_save > tc["checkpointMinutes"] * 60:
            save()
            last_save = time.time()
    save()
    log(f"saved {ck_path} at step {step} ({seconds / 60:.1f} min of steps, {tokens / 1e6:.1f} M tokens)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--config", help='JSON overrides of DEFAULTS, e.g. \'{"train": {"lr": 5e-4}}\'')
    t.add_argument("--steps", type=int, help="total steps (the LR schedule follows them)")
    t.add_argument("--minutes", type=float, help="stop (with a checkpoint) after this much wall time")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--overwrite", action="store_true")
    for p in [t, sub.add_parser("eval"), sub.add_parser("distil")]:
        p.add_argument("--threads", type=int, default=0)
        p.add_argument("--dtype", default="auto", choices=["auto", "fp32", "bf16"])
        if p is not t:
            p.add_argument("--teacher", required=True)
            p.add_argument("--data", required=True)
            p.add_argument("--limit", type=int, default=0)
    e = sub.choices["eval"]
    e.add_argument("--tasks", default="paraphrase,simplify")
    d = sub.choices["distil"]
    d.add_argument("--out", required=True)
    d.add_argument("--mode", default="replace", choices=["replace", "both"])
    a = ap.parse_args(argv)
    if a.cmd == "eval" and not a.limit:
        a.limit = 200
    {"train": train, "eval": eval_cmd, "distil": distil}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(run_main(main, "teacher") or 0)
