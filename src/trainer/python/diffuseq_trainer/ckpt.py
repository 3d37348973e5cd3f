"""Checkpoint files.

RUN/weights.pt  EMA weights + config + data meta + the tokenizer files + a few validation examples:
                small and self-contained, enough to export (anywhere) or to resume with a fresh optimizer.
RUN/ckpt.pt     everything of weights.pt plus the raw weights, optimizer, timestep-sampler, batch-stream
                and RNG states: resuming from it continues the run exactly.
"""

import os

import torch

from .model import Denoiser

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


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


def load(path):
    """A checkpoint dict; a file that is not one (a random .bin, a truncated write) is a ValueError that says so."""
    ck = read(path)
    if not isinstance(ck, dict) or not {"config", "meta", "ema"} <= set(ck):
        raise ValueError(f"{path} is not a DiffuSeq training checkpoint (no config, meta and ema weights in it)")
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
