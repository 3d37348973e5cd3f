"""Train a DiffuSeq-v2 denoiser (nanoGPT-style: one file, one loop).

    python3 -m diffuseq_trainer.train --config src/trainer/configs/tiny.json [--data DIR] [--out DIR]
        [--resume RUN/ckpt.pt|RUN/weights.pt] [--max-steps N] [--max-minutes M]
    torchrun --nproc_per_node=K -m diffuseq_trainer.train ...   (DDP)

stdout carries only JSON-lines progress events (docs/CONTRACTS.md); everything else goes to stderr.
--max-steps N sets the total number of steps (the LR schedule follows it); --max-minutes M stops cleanly
(final eval, checkpoint, "done") before M minutes of wall time have passed since start, so a long run can
be done as a chain of time-limited commands with --resume RUN/ckpt.pt.
SIGINT/SIGTERM: checkpoint, "checkpoint" event, exit code 130.
"""

import argparse
import collections
import contextlib
import copy
import inspect
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
import torch.distributed as dist

from . import ckpt as ckpt_io
from .config import load_config, resolve_budget
from .data import BatchStream, PreparedData, fixed_batches
from .decode import validation_decode
from .diffusion import DiffusionLoss
from .entry import describe, wants_traceback
from .init_package import init_from_package, lineage_entry
from .model import Denoiser, count_parameters
from .probes import source_gain, source_probe_batches
from .timesteps import make_sampler


def emit(obj):
    """One JSON progress event on stdout (rank 0 only)."""
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(obj), flush=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def reference_blas_loaded():
    """Debian's torch links libblas.so.3, which the alternatives system points at the reference BLAS
    (.../blas/libblas.so.3) unless OpenBLAS is installed; look at what this process actually mapped."""
    try:
        with open("/proc/self/maps") as f:
            return "/blas/libblas.so" in f.read()
    except OSError:
        return False


def allocator_in_use():
    """Which malloc this process runs on (the runner preloads tcmalloc where installed: glibc's malloc
    returns every step's activations to the OS and faults them back in, ~25 % of a CPU step here)."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    if "tcmalloc" in maps:
        return "tcmalloc"
    if "jemalloc" in maps:
        return "jemalloc"
    return "glibc" + (" (tuned)" if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") else "")


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


def make_optimizer(model, tc, device):
    """AdamW; weight decay only on matrices of the network (never on embeddings, biases, LayerNorms)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.dim() >= 2 and not name.startswith(("word_emb", "pos_emb")):
            decay.append(p)
        else:
            no_decay.append(p)
    groups = [{"params": decay, "weight_decay": tc["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}]
    kw = {}
    sig = inspect.signature(torch.optim.AdamW).parameters
    if device.type == "cuda" and "fused" in sig:
        kw["fused"] = True
    elif "foreach" in sig:
        kw["foreach"] = True  # one kernel per op over all tensors: much faster than the per-tensor loop
    return torch.optim.AdamW(groups, lr=tc["lr"], betas=(tc["beta1"], tc["beta2"]), **kw)


class Trainer:
    def __init__(self, cfg, data_dir, out_dir, resume=None, device=None, init=None):
        self.cfg, self.tc = cfg, cfg["train"]
        self.out_dir, self.data_dir = out_dir, data_dir
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.ddp = self.world > 1
        if self.ddp:
            local = int(os.environ.get("LOCAL_RANK", "0"))
            dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
            if torch.cuda.is_available():
                torch.cuda.set_device(local)
                device = device or f"cuda:{local}"
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.type == "cpu":
            torch.set_num_threads(self.tc["threads"] or os.cpu_count() or 1)
            if reference_blas_loaded():
                log(
                    "note: torch runs on Debian's reference BLAS (~2 GFLOP/s): `apt-get install "
                    "libopenblas0-pthread` makes CPU training 10-20x faster (src/trainer/python/README.md)"
                )
        else:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True

        seed = self.tc["seed"] + self.rank
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

        self.data = PreparedData(data_dir)
        resolve_budget(cfg, self.data.meta)
        self.model = Denoiser.from_config(cfg, self.data.vocab_size, self.data.max_len).to(self.device)
        self.lineage, self.last_flops = [], 0.0
        self.linear_weights = linear_weights(self.model)  # constant: the FLOP count of every step uses it
        self.step, self.tokens_seen, self.train_seconds, self.metrics = 0, 0, 0.0, {}
        if init:
            if resume:
                raise ValueError("--init starts a new run from a package; --resume continues a run: give one")
            man = init_from_package(self.model, init, cfg, self.data.vocab_size, data_dir)
            prov = man.get("provenance") or {}
            # Fresh optimizer and LR schedule (step 0); the counts go on, so the new package says what it
            # cost in all.
            self.lineage = list(prov.get("lineage") or []) + [lineage_entry(init, man)]
            self.tokens_seen = int(prov.get("tokensSeen") or 0)
            self.train_seconds = float(prov.get("trainingSeconds") or 0.0)
            log(f"initialised from {init} ({man.get('name')}, {self.tokens_seen / 1e6:.1f}M tokens seen)")
        self.ema = copy.deepcopy(self.model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        d = cfg["diffusion"]
        x0ce = {"x0_ce_weight": d.get("x0CeWeight", 0.0), "x0_ce_max_t": round(d.get("x0CeMaxT", 1.0) * d["steps"])}
        fp = {"forward_process": d["forwardProcess"]}
        self.loss_mod = DiffusionLoss(self.model, d["steps"], d["absorbingRate"], d["schedule"], **x0ce, **fp).to(
            self.device
        )
        # The validation loss stays DiffuSeq's (no x0-CE term), so runs with and without it compare.
        self.ema_loss = DiffusionLoss(self.ema, d["steps"], d["absorbingRate"], d["schedule"], **fp).to(self.device)
        self.opt = make_optimizer(self.model, self.tc, self.device)
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
        if self.ddp:
            from torch.nn.parallel import DistributedDataParallel as DDP

            self.train_mod = DDP(self.train_mod, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.dtype, self.dtype_reason = self.choose_dtype()
        log(f"dtype: {self.dtype} ({self.dtype_reason})")
        self.autocast = autocast_for(self.device.type, self.dtype)
        self.valid = (
            fixed_batches(self.data, "valid", cfg, self.tc["validBatchSize"], self.tc["validBatches"])
            if len(self.data.split("valid"))
            else []
        )
        self.source_probe = source_probe_batches(self.data, cfg, self.tc["validBatchSize"]) if self.valid else None
        self.ema_params = list(self.ema.parameters())
        self.params = list(self.model.parameters())

    # ----- precision --------------------------------------------------------------------------------
    def choose_dtype(self):
        """(dtype, reason). "auto" on the CPU times a few steps of each on a real batch (AMX makes bf16 ~4x
        faster here; without AMX/AVX512-BF16 it can be slower), then restores every RNG it touched."""
        asked = self.tc["dtype"]
        if asked not in ("auto", "bf16", "fp32"):
            raise ValueError(f'train.dtype must be "auto", "bf16" or "fp32", not {asked!r}')
        if asked in ("bf16", "fp32"):
            return asked, "set by train.dtype"
        if self.device.type == "cuda":
            return "bf16", "auto on CUDA"
        if not cpu_bf16_supported():
            return "fp32", "auto: this torch has no bf16 autocast on the CPU"
        ids, mask = self.stream.make_batch(self.next_idx)
        rng = torch.get_rng_state()
        timings = {
            d: time_steps(self.loss_mod, ids, mask, autocast_for("cpu", d), self.cfg["diffusion"]["steps"])
            for d in ("fp32", "bf16")
        }
        torch.set_rng_state(rng)
        self.model.zero_grad(set_to_none=True)
        return pick_dtype(timings)

    # ----- one step ---------------------------------------------------------------------------------
    def train_step(self):
        ids, mask = self.stream.make_batch(self.next_idx)
        ids, mask = ids.to(self.device, non_blocking=True), mask.to(self.device, non_blocking=True)
        t, w = self.sampler.sample(ids.shape[0], self.device)
        lr = lr_at(self.step, self.tc)
        for g in self.opt.param_groups:
            g["lr"] = lr
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
        self.last_flops = self.world * step_flops(
            self.model, ids.shape[0], ids.shape[1], scored, linear=self.linear_weights
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
        if self.ddp:
            ts = [torch.zeros_like(t) for _ in range(self.world)]
            ls = [torch.zeros_like(losses) for _ in range(self.world)]
            dist.all_gather(ts, t)
            dist.all_gather(ls, losses)
            t, losses = torch.cat(ts), torch.cat(ls)
        self.sampler.update(t.cpu().numpy(), losses.float().cpu().numpy())

    # ----- evaluation -------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self):
        """Held-out loss of the EMA weights (fixed rows, noise and timesteps) and a small BLEU decode."""
        out = {}
        if not self.valid:
            return out
        self.ema.eval()
        T = self.cfg["diffusion"]["steps"]
        gen = torch.Generator(device=self.device).manual_seed(1234)
        total, n = 0.0, 0
        for ids, mask in self.valid:
            ids, mask = ids.to(self.device), mask.to(self.device)
            t = torch.linspace(0, T - 1, ids.shape[0], device=self.device).round().long()
            with self.autocast():
                terms = self.ema_loss(ids, mask, t, False, generator=gen)
            total += float(terms["loss"].float().sum())
            n += ids.shape[0]
        out["validLoss"] = total / n
        if self.source_probe:
            out["sourceGain"] = source_gain(self.ema_loss, *self.source_probe, T, self.device, self.autocast)
        k = self.tc["bleuExamples"]
        if k > 0:
            split = self.data.split("valid")
            examples = [split.example(i) for i in range(min(k, len(split)))]
            tb = self.cfg["lengths"]["targetBudget"]
            dec = validation_decode(
                self.ema,
                examples,
                self.data.pad,
                self.data.sep,
                self.data.max_target,
                tb["ratio"],
                tb["extra"],
                T,
                steps=self.tc["bleuSteps"],
                device=self.device,
                autocast=self.autocast,
                forward_process=self.cfg["diffusion"]["forwardProcess"],
            )
            out["validBleu"], out["validUnchanged"] = dec["bleu"], dec["unchanged"]
        return out

    # ----- checkpoints ------------------------------------------------------------------------------
    def weights_dict(self):
        split = self.data.split("valid")
        examples = [[e.tolist() for e in split.example(i)] for i in range(min(64, len(split)))]
        return {
            "kind": "weights",
            "ema": self.ema.state_dict(),
            "config": self.cfg,
            "meta": self.data.meta,
            "dataDir": os.path.abspath(self.data_dir),
            "step": self.step,
            "tokensSeen": self.tokens_seen,
            "trainingSeconds": self.train_seconds,
            "device": self.device_name(),
            "metrics": self.metrics,
            "dtype": self.dtype,
            "lineage": self.lineage,
            "tokenizer": ckpt_io.read_tokenizer_files(self.data_dir),
            "validExamples": examples,
        }

    def device_name(self):
        if self.device.type == "cuda":
            return f"cuda ({torch.cuda.get_device_name(self.device)}) x{self.world}"
        return "cpu"

    def save(self):
        """Write RUN/weights.pt and RUN/ckpt.pt (rank 0); returns the ckpt.pt path."""
        path = os.path.join(self.out_dir, "ckpt.pt")
        if self.rank == 0:
            w = self.weights_dict()
            ckpt_io.atomic_save(w, os.path.join(self.out_dir, "weights.pt"))
            if self.tc.get("keepSnapshots"):
                ckpt_io.atomic_save(w, os.path.join(self.out_dir, "snapshots", f"step-{self.step}.pt"))
            full = dict(
                w,
                kind="full",
                model=self.model.state_dict(),
                optimizer=self.opt.state_dict(),
                sampler=self.sampler.state_dict(),
                stream=self.stream.state_dict(),
                nextIndices=self.next_idx.tolist(),
                rng=self.rng_state(),
            )
            ckpt_io.atomic_save(full, path)
        if self.ddp:
            dist.barrier()
        return path

    def rng_state(self):
        st = {
            "torch": torch.get_rng_state(),
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "selfCond": self.sc_rng.bit_generator.state,
        }
        if torch.cuda.is_available():
            st["cuda"] = torch.cuda.get_rng_state_all()
        return st

    def load(self, path):
        ck = ckpt_io.load(path)
        if int(ck["meta"]["vocabSize"]) != self.data.vocab_size:
            raise ValueError(
                f"{path} was trained with vocabSize {ck['meta']['vocabSize']}, the data has {self.data.vocab_size}"
            )
        self.ema.load_state_dict(ck["ema"])
        self.model.load_state_dict(ck.get("model", ck["ema"]))
        self.step, self.tokens_seen = int(ck["step"]), int(ck["tokensSeen"])
        self.train_seconds, self.metrics = float(ck["trainingSeconds"]), dict(ck.get("metrics", {}))
        self.lineage = list(ck.get("lineage", []))
        if ck.get("kind") == "full":
            self.opt.load_state_dict(ck["optimizer"])
            self.sampler.load_state_dict(ck["sampler"])
            self.stream.load_state_dict(ck["stream"])
            self.next_idx = np.asarray(ck["nextIndices"], dtype=np.int64)
            rng = ck["rng"]
            torch.set_rng_state(rng["torch"])
            random.setstate(rng["python"])
            np.random.set_state(rng["numpy"])
            self.sc_rng.bit_generator.state = rng["selfCond"]
            if "cuda" in rng and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(rng["cuda"])
        else:
            log(f"resuming from weights only ({path}): fresh optimizer and timestep sampler")
        log(f"resumed at step {self.step} from {path}")


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


def linear_weights(model):
    """Weights of the Linear layers that run at every position (the timestep MLP runs once per row)."""
    return sum(
        m.weight.numel()
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Linear) and not name.startswith("time_mlp")
    )


def step_flops(model, rows, length, target_tokens, linear=None):
    """Approximate FLOPs of one training step (forward + backward = 3x forward, 2 FLOPs per MAC):
    every Linear of the network on all rows x length positions, attention's two L x L products per layer,
    and the rounding logits (d x V) on `target_tokens` (the target tokens, plus those the x0-CE term
    scores). `linear`: linear_weights(model), if already known."""
    width, layers, dim = model.width, len(model.blocks), model.dim
    if linear is None:
        linear = linear_weights(model)
    tokens = rows * length
    fwd = (
        2 * linear * tokens
        + layers * 2 * 2 * rows * length * length * width
        + 2 * dim * model.vocab_size * target_tokens
    )
    return 3 * fwd


class StopFlag:
    """Set by SIGINT/SIGTERM; the loop checks it between steps."""

    def __init__(self):
        self.signalled = False
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self._handler)

    def _handler(self, signum, frame):
        log(f"signal {signum}: checkpointing and stopping")
        self.signalled = True


def agree(flag, trainer):
    """Under DDP every rank must stop at the same step: any rank's flag stops all."""
    if not trainer.ddp:
        return flag
    v = torch.tensor([1.0 if flag else 0.0], device=trainer.device)
    dist.all_reduce(v, op=dist.ReduceOp.MAX)
    return bool(v.item() > 0)


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
            trainer.metrics = dict(trainer.evaluate(), step=s)
            emit({"event": "eval", "step": s, **{k: v for k, v in trainer.metrics.items() if k != "step"}})
        if tc["checkpointEvery"] and s % tc["checkpointEvery"] == 0 and s < tc["steps"]:
            emit({"event": "checkpoint", "step": s, "path": trainer.save()})
        # Leave room for a few more steps plus the final eval and checkpoint (~15 s).
        out_of_time = (
            bool(max_minutes)
            and time.time() - t_start + 3 * (float(np.median(recent)) if recent else 0.0) + 15 > max_minutes * 60
        )
        if agree(stop.signalled, trainer):
            reason = "signal"
            break
        if agree(out_of_time, trainer):
            reason = "time"
            log(f"--max-minutes {max_minutes} reached at step {s}")
            break
    if reason != "signal":
        trainer.metrics = dict(trainer.evaluate(), step=trainer.step)
        emit({"event": "eval", "step": trainer.step, **{k: v for k, v in trainer.metrics.items() if k != "step"}})
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
    found = [f for f in ("ckpt.pt", "weights.pt") if os.path.exists(os.path.join(out_dir, f))]
    if found:
        raise ValueError(
            f"run folder {out_dir} already holds a checkpoint ({found[0]}): continue it with --resume "
            f"{os.path.join(out_dir, 'ckpt.pt')}, replace it with --overwrite, or pick another --out"
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
        if trainer is not None and trainer.ddp and dist.is_initialized():
            dist.destroy_process_group()
    return rc


if __name__ == "__main__":
    sys.exit(main())
