"""Train a DiffuSeq-v2 denoiser: the training loop, nanoGPT-style (one file, one loop).

    python3 -m diffuseq_trainer.train --config src/trainer/configs/tiny.json [--data DIR] [--out DIR]
        [--resume RUN/ckpt.pt|RUN/weights.pt] [--max-steps N] [--max-minutes M]
    torchrun --nproc_per_node=K -m diffuseq_trainer.train ...   (DDP)

stdout carries only JSON-lines progress events (docs/CONTRACTS.md); everything else goes to stderr.
--max-steps N sets the total number of steps (the LR schedule follows it); --max-minutes M stops cleanly
(final eval, checkpoint, "done") before M minutes of wall time have passed since start, so a long run can
be done as a chain of time-limited commands with --resume RUN/ckpt.pt.
SIGINT/SIGTERM: checkpoint, "checkpoint" event, exit code 130.

What the loop stands on lives beside it: the network, its optimizer groups and FLOP count (model.py), the
device and DDP ranks (devices.py), bf16 or fp32 (precision.py), the eval measures (validation.py), the
checkpoint format (ckpt.py), the batches (data.py).
"""

import argparse
import collections
import copy
import json
import math
import os
import random
import signal
import sys
import time
import traceback

import numpy as np
import torch

from . import ckpt as ckpt_io
from . import precision
from .config import load_config, resolve_budget
from .data import BatchStream, PreparedData
from .devices import Place, allocator_in_use
from .diffusion import DiffusionLoss, StepSchedules
from .entry import describe, log, wants_traceback
from .init_package import start_from_package
from .model import Denoiser, count_parameters
from .timesteps import make_sampler
from .validation import Validation


def emit(obj):
    """One JSON progress event on stdout (rank 0 only)."""
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(obj), flush=True)


def lr_at(step, tc):
    """Linear warmup, then cosine/linear decay to lr * minLrRatio at the last step (or constant)."""
    lr, warm, total = tc["lr"], tc["warmupSteps"], tc["steps"]
    if step < warm:
        return lr * (step + 1) / warm
    if tc["decay"] == "constant":
        return lr
    progress = min(1.0, (step - warm) / max(1, total - warm))
    lo = tc["minLrRatio"]
    if tc["decay"] == "linear":
        return lr * (1.0 - (1.0 - lo) * progress)
    if tc["decay"] == "cosine":
        return lr * (lo + (1.0 - lo) * 0.5 * (1.0 + math.cos(math.pi * progress)))
    raise ValueError(f"unknown train.decay {tc['decay']!r}")


class Trainer:
    def __init__(self, cfg, data_dir, out_dir, resume=None, device=None, init=None):
        self.cfg, self.tc = cfg, cfg["train"]
        self.out_dir, self.data_dir = out_dir, data_dir
        p = self.place = Place(device, self.tc["threads"])
        self.device, self.world, self.rank, self.ddp = p.device, p.world, p.rank, p.ddp
        seed = self.tc["seed"] + self.rank
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

        self.data = PreparedData(data_dir)
        resolve_budget(cfg, self.data.meta)
        self.model = Denoiser.from_config(cfg, self.data.vocab_size, self.data.max_len).to(self.device)
        self.lineage, self.last_flops = [], 0.0
        self.linear_weights = self.model.linear_weights()  # constant: the FLOP count of every step uses it
        self.step, self.tokens_seen, self.train_seconds, self.metrics = 0, 0, 0.0, {}
        if init:
            if resume:
                raise ValueError("--init starts a new run from a package; --resume continues a run: give one")
            # Fresh optimizer and LR schedule (step 0); the counts go on.
            self.lineage, self.tokens_seen, self.train_seconds = start_from_package(
                self.model, init, cfg, self.data.vocab_size, data_dir
            )
        self.ema = copy.deepcopy(self.model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        d = cfg["diffusion"]
        self.loss_mod = DiffusionLoss.from_config(self.model, d).to(self.device)
        self.ema_loss = DiffusionLoss.from_config(self.ema, d, training=False).to(self.device)
        self.schedules = StepSchedules(d, self.tc["steps"])
        tc = self.tc
        betas = (tc["beta1"], tc["beta2"])
        self.opt = self.model.configure_optimizer(tc["weightDecay"], tc["lr"], betas, self.device.type)
        self.sampler = make_sampler(cfg, seed)
        self.stream = BatchStream(self.data, "train", self.tc["batchSize"], cfg, seed, self.tc["bucketPool"])
        self.sc_rng = np.random.default_rng(self.tc["seed"])  # same on all ranks
        self.next_idx = None
        if resume:
            self.load(resume)
        if self.next_idx is None:
            self.next_idx = self.stream.next_indices()

        self.train_mod = self.loss_mod
        if self.tc["compile"] and hasattr(torch, "compile") and self.device.type == "cuda":
            # Row lengths vary per batch: dynamo recompiles once with dynamic shapes, then keeps that
            # graph. The warm-up costs ~80-100 s on an H100 (dynamic=True measured no faster).
            self.train_mod = torch.compile(self.loss_mod)
        self.train_mod = self.place.wrap(self.train_mod)
        self.dtype, self.dtype_reason = self.choose_dtype()
        log(f"dtype: {self.dtype} ({self.dtype_reason})")
        self.autocast = precision.autocast_for(self.device.type, self.dtype)
        self.validation = Validation(self.data, cfg, self.device)
        self.ema_params = list(self.ema.parameters())
        self.params = list(self.model.parameters())

    def choose_dtype(self):
        """(dtype, reason): precision.choose_dtype, timing "auto" on the run's own next batch."""

        def time_both():
            ids, mask = self.stream.make_batch(self.next_idx)
            return precision.time_both_dtypes(self.loss_mod, ids, mask, self.cfg["diffusion"]["steps"])

        return precision.choose_dtype(self.tc["dtype"], self.device.type, time_both)

    # ----- one step ---------------------------------------------------------------------------------
    def train_step(self):
        ids, mask = self.stream.make_batch(self.next_idx)
        ids, mask = ids.to(self.device, non_blocking=True), mask.to(self.device, non_blocking=True)
        t, w = self.sampler.sample(ids.shape[0], self.device)
        lr = lr_at(self.step, self.tc)
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.schedules.apply(self.step, self.loss_mod, self.sampler)
        self_cond = bool(self.cfg["diffusion"]["selfConditioning"] and self.sc_rng.random() < 0.5)
        self.model.train()
        with self.autocast():
            terms = self.train_mod(ids, mask, t, self_cond)
        loss = (terms["loss"] * w).mean()
        loss.backward()
        if self.tc["gradClip"] > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.tc["gradClip"])
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.update_ema()
        # Draw the next batch on the CPU while the GPU works, then sync for the sampler update.
        self.next_idx = self.stream.next_indices()
        self.update_sampler(t, terms["loss"].detach())
        self.step += 1
        ntok = ids.numel() * self.world
        self.tokens_seen += ntok
        scored = int(mask.sum())
        if self.loss_mod.x0_ce_weight > 0:  # the x0-CE term's logits, on its low-t rows
            scored += int(mask[t < self.loss_mod.x0_ce_max_t].sum())
        self.last_flops = self.world * self.model.step_flops(
            ids.shape[0], ids.shape[1], scored, linear=self.linear_weights
        )
        parts = {k: float(v.detach().float().mean()) for k, v in terms.items()}
        return parts, lr, ntok

    @torch.no_grad()
    def update_ema(self):
        # EMA warm-up ((1+n)/(10+n)) so short runs do not export mostly-initial weights.
        decay = min(self.tc["emaDecay"], (1 + self.step) / (10 + self.step))
        torch._foreach_mul_(self.ema_params, decay)
        torch._foreach_add_(self.ema_params, self.params, alpha=1.0 - decay)

    def update_sampler(self, t, losses):
        t, losses = self.place.gather(t, losses)
        self.sampler.update(t.cpu().numpy(), losses.float().cpu().numpy())

    def evaluate(self):
        """The held-out measures of the EMA weights (validation.py), kept for the checkpoint: the "eval" event."""
        measures = self.validation(self.ema, self.ema_loss, self.autocast)
        self.metrics = dict(measures, step=self.step)
        return {"event": "eval", "step": self.step, **measures}

    # ----- checkpoints (the format: ckpt.py) ----------------------------------------------------------
    def weights_dict(self):
        return ckpt_io.weights_checkpoint(
            self.ema.state_dict(),
            self.cfg,
            self.data.meta,
            self.data_dir,
            ckpt_io.example_rows(self.data.split("valid")),
            step=self.step,
            tokens_seen=self.tokens_seen,
            training_seconds=self.train_seconds,
            device=self.place.name(),
            metrics=self.metrics,
            dtype=self.dtype,
            lineage=self.lineage,
        )

    def save(self):
        """Write RUN/weights.pt and RUN/ckpt.pt (rank 0); returns the ckpt.pt path."""
        path = os.path.join(self.out_dir, ckpt_io.FULL_FILE)
        if self.rank == 0:
            w = self.weights_dict()
            parts = (self.model, self.opt, self.sampler, self.stream, self.next_idx, self.sc_rng)
            snapshot = self.step if self.tc.get("keepSnapshots") else None
            ckpt_io.write_run(self.out_dir, w, ckpt_io.full_checkpoint(w, *parts), snapshot_step=snapshot)
        self.place.barrier()
        return path

    def load(self, path):
        ck = ckpt_io.load(path, vocab_size=self.data.vocab_size)
        self.ema.load_state_dict(ck["ema"])
        self.model.load_state_dict(ck.get("model", ck["ema"]))
        self.step, self.tokens_seen = int(ck["step"]), int(ck["tokensSeen"])
        self.train_seconds, self.metrics = float(ck["trainingSeconds"]), dict(ck.get("metrics", {}))
        self.lineage = list(ck.get("lineage", []))
        if ck.get("kind") == "full":
            self.next_idx = ckpt_io.restore_full_state(ck, self.opt, self.sampler, self.stream, self.sc_rng)
        else:
            log(f"resuming from weights only ({path}): fresh optimizer and timestep sampler")
        log(f"resumed at step {self.step} from {path}")


class StopFlag:
    """Set by SIGINT/SIGTERM; the loop checks it between steps."""

    def __init__(self):
        self.signalled = False
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self._handler)

    def _handler(self, signum, frame):
        log(f"signal {signum}: checkpointing and stopping")
        self.signalled = True


def run(trainer, max_minutes=None):
    tc = trainer.tc
    stop = StopFlag()
    t_start = time.time()
    start_step = trainer.step
    emit(
        {
            "event": "start",
            "config": trainer.cfg,
            "device": trainer.device.type,
            "parameters": count_parameters(trainer.model),
            "world": trainer.world,
            "step": trainer.step,
            "dtype": trainer.dtype,
            "dtypeReason": trainer.dtype_reason,
            "allocator": allocator_in_use(),
            "threads": torch.get_num_threads() if trainer.device.type == "cpu" else None,
        }
    )
    acc, acc_n, acc_tok, acc_flops, t_log = {}, 0, 0, 0.0, time.time()
    tokens_at_start, seconds_at_start = trainer.tokens_seen, trainer.train_seconds
    recent = collections.deque(maxlen=50)  # step times; the median ignores compile/recompile spikes
    reason = "finished"
    while trainer.step < tc["steps"]:
        t0 = time.time()
        parts, lr, ntok = trainer.train_step()
        dt = time.time() - t0
        trainer.train_seconds += dt
        if trainer.step - start_step > 5:  # the first steps include torch.compile
            recent.append(dt)
        for k, v in parts.items():
            acc[k] = acc.get(k, 0.0) + v
        acc_n += 1
        acc_tok += ntok
        acc_flops += trainer.last_flops
        s = trainer.step
        if s % tc["logEvery"] == 0 or s == tc["steps"]:
            now = time.time()
            elapsed = now - t_start
            done_here = s - start_step
            emit(
                {
                    "event": "step",
                    "step": s,
                    "steps": tc["steps"],
                    **{k: acc[k] / acc_n for k in ("loss", "mse", "tT", "nll")},
                    "lr": lr,
                    "tokensPerSec": acc_tok / max(now - t_log, 1e-9),
                    "gflopsPerSec": acc_flops / max(now - t_log, 1e-9) / 1e9,
                    "elapsed": elapsed,
                    "eta": elapsed / max(done_here, 1) * (tc["steps"] - s),
                }
            )
            acc, acc_n, acc_tok, acc_flops, t_log = {}, 0, 0, 0.0, time.time()
        if tc["evalEvery"] and s % tc["evalEvery"] == 0 and s < tc["steps"]:
            emit(trainer.evaluate())
        if tc["checkpointEvery"] and s % tc["checkpointEvery"] == 0 and s < tc["steps"]:
            emit({"event": "checkpoint", "step": s, "path": trainer.save()})
        # Leave room for a few more steps plus the final eval and checkpoint (~15 s).
        out_of_time = (
            bool(max_minutes)
            and time.time() - t_start + 3 * (float(np.median(recent)) if recent else 0.0) + 15 > max_minutes * 60
        )
        if trainer.place.agree(stop.signalled):
            reason = "signal"
            break
        if trainer.place.agree(out_of_time):
            reason = "time"
            log(f"--max-minutes {max_minutes} reached at step {s}")
            break
    if reason != "signal":
        emit(trainer.evaluate())
    path = trainer.save()
    emit({"event": "checkpoint", "step": trainer.step, "path": path})
    if reason == "signal":
        return 130
    secs = trainer.train_seconds - seconds_at_start
    emit(
        {
            "event": "done",
            "step": trainer.step,
            "checkpoint": path,
            "dtype": trainer.dtype,
            "tokensThisRun": trainer.tokens_seen - tokens_at_start,
            "trainingSecondsThisRun": round(secs, 1),
            "tokensPerSec": (trainer.tokens_seen - tokens_at_start) / max(secs, 1e-9),
            "tokensSeen": trainer.tokens_seen,
        }
    )
    return 0


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Train a DiffuSeq-v2 denoiser (JSON-lines progress on stdout).")
    ap.add_argument("--config", help="JSON config (src/trainer/configs/*.json); optional with --resume")
    ap.add_argument("--data", help="prepared data folder (default: config data.dir)")
    ap.add_argument("--out", help="run folder for ckpt.pt/weights.pt (default: config out)")
    ap.add_argument("--resume", help="RUN/ckpt.pt (exact continuation) or RUN/weights.pt (weights only)")
    ap.add_argument(
        "--init",
        help="a model package folder (models/default): start from its weights, with a "
        "fresh optimizer and schedule; the data must use its tokenizer",
    )
    ap.add_argument("--max-steps", type=int, help="total steps (overrides train.steps; the LR schedule follows)")
    ap.add_argument("--max-minutes", type=float, help="stop cleanly (eval, checkpoint, done) within this wall time")
    ap.add_argument("--device", help="cpu | cuda | cuda:N (default: cuda when available)")
    ap.add_argument(
        "--overwrite",
        action="store_true",
        help="start a new run in a --out folder that already holds a checkpoint, replacing it (without it, refused)",
    )
    ap.add_argument("--verbose", action="store_true", help="print the traceback of a failure")
    return ap.parse_args(argv)


def refuse_existing_run(out_dir, resume, overwrite):
    """A new run must not silently replace the checkpoint of another one (a step-140 ckpt.pt became a step-30 one)."""
    if resume or overwrite:
        return
    found = [f for f in (ckpt_io.FULL_FILE, ckpt_io.WEIGHTS_FILE) if os.path.exists(os.path.join(out_dir, f))]
    if found:
        raise ValueError(
            f"run folder {out_dir} already holds a checkpoint ({found[0]}): continue it with --resume "
            f"{os.path.join(out_dir, ckpt_io.FULL_FILE)}, replace it with --overwrite, or pick another --out"
        )


def main(argv=None):
    args = parse_args(argv)
    trainer = None
    try:
        if args.config:
            cfg = load_config(args.config)
        elif args.resume:
            cfg = load_config(None, ckpt_io.load(args.resume)["config"])
        else:
            raise ValueError("--config is required (or --resume to reuse the checkpoint's config)")
        if args.max_steps:
            cfg["train"]["steps"] = args.max_steps
        data_dir = args.data or cfg["data"]["dir"]
        out_dir = args.out or cfg["out"]
        cfg["data"]["dir"], cfg["out"] = data_dir, out_dir
        refuse_existing_run(out_dir, args.resume, args.overwrite)
        trainer = Trainer(cfg, data_dir, out_dir, resume=args.resume, device=args.device, init=args.init)
        rc = run(trainer, args.max_minutes)
    except Exception as e:  # report on one line (the traceback only with --verbose / DIFFUSEQ_DEBUG), then fail
        if wants_traceback(args.verbose):
            traceback.print_exc(file=sys.stderr)
        emit({"event": "error", "message": describe(e)})
        rc = 1
    finally:
        if trainer is not None:
            trainer.place.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
