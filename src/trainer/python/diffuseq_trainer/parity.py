"""The parity fixture of a model package (parity/, docs/CONTRACTS.md): real validation batches, noised by the
training forward process, with PyTorch's outputs, as raw little-endian arrays described by parity/parity.json, so
that onnxruntime (the TypeScript `diffuseq export`, or check_parity.py beside this file) can check the ONNX files
against the model they came from.
"""

import json
import os

import numpy as np
import torch

from .data import collate
from .decode import round_tokens
from .diffusion import DiffusionLoss, target_start
from .onnx_graphs import graph_inputs
from .raw_arrays import write_raw


def parity_batches(examples, pad):
    """4 batches of real validation examples with different B and L (training layout, no pad rounding)."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i][0]) + len(examples[i][1]))
    n = len(order)
    pick = lambda lo, k: [examples[order[min(n - 1, lo + j)]] for j in range(k)]
    return [
        ("batch0", pick(0, 1)),
        ("batch1", pick(n // 3, 3)),
        ("batch2", pick(n // 2, 8)),
        ("batch3", pick(max(0, n - 2), 2)),
    ]


def batch_timesteps(B, T, which):
    """Integer and fractional timesteps spread over [0, T-1] (fractional ones test the float input)."""
    if which == 0:
        return torch.tensor([0.0])
    base = torch.linspace(0, T - 1, B)
    frac = torch.tensor([0.5 if (i % 2) else 0.0 for i in range(B)])
    return torch.clamp(base + frac, max=T - 1.0)


def write_parity(model, cfg, meta, examples, out_dir, emb_rows):
    """Inputs made by the real forward process on real rows; expected outputs from PyTorch (eval mode)."""
    pdir = os.path.join(out_dir, "parity")
    os.makedirs(pdir, exist_ok=True)
    T = cfg["diffusion"]["steps"]
    tb = cfg["lengths"]["targetBudget"]
    pad = int(meta["tokens"]["pad"])
    max_len = int(meta["lengths"]["maxSource"]) + int(meta["lengths"]["maxTarget"])
    max_target = int(meta["lengths"]["maxTarget"])

    def layout(exs):
        """The training layout of these examples (no pad rounding): ids and target mask."""
        pairs = [(np.asarray(s), np.asarray(t)) for s, t in exs]
        return collate(pairs, pad, max_len, max_target, tb["ratio"], tb["extra"], 1)

    diff = DiffusionLoss.from_config(model, cfg["diffusion"], training=False)
    gen = torch.Generator().manual_seed(20231010)
    fx = lambda name, arr, dtype: {"file": name, "dtype": dtype, "shape": list(arr.shape)}
    desc = {
        "formatVersion": 1,
        "tolerance": 1e-3,
        "selfConditioning": bool(model.self_conditioning),
        "note": "raw little-endian arrays; x_t made by the training forward process at the given t "
        "(fractional t noised at floor(t)); x0 from PyTorch eval mode with the EMA weights",
        "denoiser": [],
        "rounding": [],
    }
    model.eval()
    model.set_explicit_attention(True)
    for k, (name, exs) in enumerate(parity_batches(examples, pad)):
        ids, mask = layout(exs)
        t = batch_timesteps(ids.shape[0], T, k)
        with torch.no_grad():
            x_t = diff.noised(ids, mask, t.floor().long(), generator=gen)["x_t"]
            start = target_start(mask)
            sc = None
            if model.self_conditioning:
                sc = torch.zeros_like(x_t) if k == 0 else model(x_t, t, None, start)
            x0 = model(x_t, t, sc, start)
            names, values = graph_inputs(model, x_t.float(), t.float(), sc, start)
        entry = {"name": name, "ids": ids.tolist(), "targetMask": mask.int().tolist(), "inputs": {}, "outputs": {}}
        for key, val in zip(names, values, strict=True):
            dtype, tag = ("int64", "i64") if key == "target_start" else ("float32", "f32")
            fname = f"{name}.{key}.{tag}.bin"
            write_raw(os.path.join(pdir, fname), val.float().numpy() if dtype == "float32" else val.numpy(), dtype)
            entry["inputs"][key] = fx(fname, val, dtype)
        write_raw(os.path.join(pdir, f"{name}.x0.f32.bin"), x0.numpy(), "float32")
        entry["outputs"]["x0"] = fx(f"{name}.x0.f32.bin", x0, "float32")
        desc["denoiser"].append(entry)
    # Rounding: clean embeddings of real rows plus noise, so the nearest token is unambiguous.
    V = int(meta["vocabSize"])
    emb = torch.from_numpy(emb_rows[:V].astype(np.float32))
    ids, _ = layout(examples[:2])
    x = emb[ids] + 0.1 * torch.randn(ids.shape + (emb.shape[1],), generator=gen)
    tokens = round_tokens(x, emb)
    write_raw(os.path.join(pdir, "round0.x.f32.bin"), x.numpy(), "float32")
    write_raw(os.path.join(pdir, "round0.tokens.i64.bin"), tokens.numpy(), "int64")
    desc["rounding"].append(
        {
            "name": "round0",
            "inputs": {"x": fx("round0.x.f32.bin", x, "float32")},
            "embedding": "the first vocabSize rows of embeddings.bin, as float32",
            "ids": ids.tolist(),
            "outputs": {"tokens": fx("round0.tokens.i64.bin", tokens, "int64")},
        }
    )
    with open(os.path.join(pdir, "parity.json"), "w") as f:
        json.dump(desc, f, indent=1)
