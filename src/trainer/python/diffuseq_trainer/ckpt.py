"""The one checkpoint format: what a run writes, what train --resume and export read.

RUN/weights.pt  EMA weights + config + data meta + the tokenizer files + a few validation examples:
                small and self-contained, enough to export (anywhere) or to resume with a fresh optimizer.
RUN/ckpt.pt     everything of weights.pt plus the raw weights, optimizer, timestep-sampler, batch-stream
                and RNG states: resuming from it continues the run exactly.
RUN/snapshots/step-N.pt  a copy of weights.pt at every checkpoint, with train.keepSnapshots.
The keys and file names are a contract with every checkpoint already written: add keys, never rename them.
"""

import os
import random

import numpy as np
import torch

from .model import Denoiser

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
WEIGHTS_FILE, FULL_FILE = "weights.pt", "ckpt.pt"
VALID_EXAMPLES = 64  # validation rows a checkpoint carries: export writes its parity batches from them


def example_rows(split, limit=VALID_EXAMPLES):
    """The first `limit` (source, target) examples of a split as lists of ints, as a checkpoint stores them."""
    return [[e.tolist() for e in split.example(i)] for i in range(min(limit, len(split)))]


def weights_checkpoint(
    ema, cfg, meta, data_dir, examples, step=0, tokens_seen=0, training_seconds=0.0, device="none", **more
):
    """The weights.pt dict. ema: the EMA model's state dict; more: the keys only a training run has (metrics,
    dtype, lineage), which readers default when they are absent (an untrained model has none of them)."""
    return {
        "kind": "weights",
        "ema": ema,
        "config": cfg,
        "meta": meta,
        "dataDir": os.path.abspath(data_dir),
        "step": step,
        "tokensSeen": tokens_seen,
        "trainingSeconds": training_seconds,
        "device": device,
        **more,
        "tokenizer": read_tokenizer_files(data_dir),
        "validExamples": examples,
    }


def full_checkpoint(weights, model, optimizer, sampler, stream, next_indices, self_cond_rng):
    """The ckpt.pt dict: weights.pt's and every state an exact continuation needs, the RNGs included."""
    return dict(
        weights,
        kind="full",
        model=model.state_dict(),
        optimizer=optimizer.state_dict(),
        sampler=sampler.state_dict(),
        stream=stream.state_dict(),
        nextIndices=next_indices.tolist(),
        rng=rng_state(self_cond_rng),
    )


def write_run(out_dir, weights, full, snapshot_step=None):
    """Write RUN/weights.pt (and its snapshot when snapshot_step is given), then RUN/ckpt.pt; returns ckpt.pt's
    path. A kill mid-write leaves the previous files whole (atomic_save)."""
    atomic_save(weights, os.path.join(out_dir, WEIGHTS_FILE))
    if snapshot_step is not None:
        atomic_save(weights, os.path.join(out_dir, "snapshots", f"step-{snapshot_step}.pt"))
    path = os.path.join(out_dir, FULL_FILE)
    atomic_save(full, path)
    return path


def rng_state(self_cond_rng):
    """Every RNG a training step draws from: torch's (and CUDA's), Python's, numpy's global one, and the
    self-conditioning coin's numpy Generator."""
    st = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "selfCond": self_cond_rng.bit_generator.state,
    }
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def restore_full_state(ck, optimizer, sampler, stream, self_cond_rng):
    """Load a ckpt.pt's optimizer, sampler, stream and RNG states; returns the next batch's indices."""
    optimizer.load_state_dict(ck["optimizer"])
    sampler.load_state_dict(ck["sampler"])
    stream.load_state_dict(ck["stream"])
    rng = ck["rng"]
    torch.set_rng_state(rng["torch"])
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    self_cond_rng.bit_generator.state = rng["selfCond"]
    if "cuda" in rng and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(rng["cuda"])
    return np.asarray(ck["nextIndices"], dtype=np.int64)


def read_tokenizer_files(data_dir):
    out = {}
    for name in TOKENIZER_FILES:
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                out[name] = f.read()
    return out


def atomic_save(obj, path):
    """Write to a temp file then rename, so a kill mid-write never leaves a broken checkpoint."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load(path, vocab_size=None):
    """A checkpoint dict; a file that is not one (a random .bin, a truncated write), or one trained on another
    vocabulary than `vocab_size` (when given), is a ValueError that says so."""
    ck = read(path)
    if not isinstance(ck, dict) or not {"config", "meta", "ema"} <= set(ck):
        raise ValueError(f"{path} is not a DiffuSeq training checkpoint (no config, meta and ema weights in it)")
    if vocab_size is not None and int(ck["meta"]["vocabSize"]) != vocab_size:
        raise ValueError(f"{path} was trained with vocabSize {ck['meta']['vocabSize']}, the data has {vocab_size}")
    return ck


def read(path, what="DiffuSeq training checkpoint (RUN/ckpt.pt or RUN/weights.pt)"):
    """Whatever torch.save wrote to path (our files: a dict); a missing or unreadable file is a ValueError."""
    if not os.path.isfile(path):
        raise ValueError(f"checkpoint {path} not found")
    try:
        # Our own files hold numpy RNG states too: torch >= 2.6's weights_only default would refuse them.
        try:
            ck = torch.load(path, map_location="cpu", weights_only=False)
        except TypeError:  # torch without the weights_only argument
            ck = torch.load(path, map_location="cpu")
    except Exception as e:
        raise ValueError(f"{path} is not a {what}: {e}") from e
    return ck


def build_model(ck):
    """The denoiser of a checkpoint dict, with its EMA weights loaded (what export and eval use)."""
    meta = ck["meta"]
    max_len = int(meta["lengths"]["maxSource"]) + int(meta["lengths"]["maxTarget"])
    model = Denoiser.from_config(ck["config"], int(meta["vocabSize"]), max_len)
    model.load_state_dict(ck["ema"])
    return model
