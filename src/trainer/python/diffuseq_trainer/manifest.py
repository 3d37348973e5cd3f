"""manifest.json of a model package (docs/model-format.md): what the engine needs to run the files, and the
provenance of the weights (data, config, steps, tokens, device, metrics), with no machine's absolute paths.
"""

import datetime
import json
import os

from .model import count_parameters


def portable_path(p, base=None):
    """A run path as a shipped manifest records it: relative to `base` (the current folder) when inside it, else
    its last part, so no machine's absolute paths travel with a package."""
    if not p:
        return p
    base = os.path.abspath(base or os.getcwd())
    ap = os.path.abspath(p)
    return os.path.relpath(ap, base) if ap == base or ap.startswith(base + os.sep) else os.path.basename(ap)


def portable_config(cfg, base=None):
    """The training config with its run paths (data.dir, out) made portable (portable_path)."""
    out = json.loads(json.dumps(cfg))
    if isinstance(out.get("data"), dict) and out["data"].get("dir"):
        out["data"]["dir"] = portable_path(out["data"]["dir"], base)
    if out.get("out"):
        out["out"] = portable_path(out["out"], base)
    return out


def package_manifest(ck, model, name, description, note, emb_dtype):
    """The manifest dict of checkpoint `ck` exported from `model` (the export's files.words is added by export)."""
    cfg, meta = ck["config"], ck["meta"]
    d = cfg["diffusion"]
    V = int(meta["vocabSize"])
    metrics = {k: v for k, v in (ck.get("metrics") or {}).items()}
    return {
        "format": "diffuseq-v2",
        "formatVersion": 1,
        "name": name,
        "description": description,
        "tasks": meta["tasks"],
        "tokens": meta["tokens"],
        "lengths": {
            "maxSource": int(meta["lengths"]["maxSource"]),
            "maxTarget": int(meta["lengths"]["maxTarget"]),
            "targetBudget": {
                "ratio": float(cfg["lengths"]["targetBudget"]["ratio"]),
                "extra": int(cfg["lengths"]["targetBudget"]["extra"]),
            },
        },
        "embedding": {
            "file": "embeddings.bin",
            "dtype": emb_dtype,
            "vocabSize": V,
            "dim": model.dim,
            "absorbingRow": V,
        },
        "diffusion": {
            "schedule": d["schedule"],
            "steps": int(d["steps"]),
            "absorbingRate": float(d["absorbingRate"]),
            "predict": "x0",
            "selfConditioning": bool(d["selfConditioning"]),
            # Which q(x_t | x_0) the model was trained with: the engine centres its sampler on the absorbing
            # vector for "official" (docs/model-format.md).
            "forwardProcess": d.get("forwardProcess", "replace-before-noise"),
            # Recorded only when not DiffuSeq's 1: the package's table is then E / F (model.py), which `--init`
            # must undo. The engine needs nothing of it: the process in the package is the usual one.
            **({"noiseFactor": float(d["noiseFactor"])} if d.get("noiseFactor", 1.0) != 1.0 else {}),
        },
        "files": {
            "denoiser": "denoiser.onnx",
            "rounding": "rounding.onnx",
            "tokenizer": "tokenizer.json",
            "tokenizerConfig": "tokenizer_config.json",
        },
        "model": {
            "parameters": count_parameters(model),
            "layers": cfg["model"]["layers"],
            "width": cfg["model"]["width"],
            "heads": cfg["model"]["heads"],
            "targetPositions": model.target_positions,
            **({"embeddingNorm": True} if getattr(model, "embedding_norm", False) else {}),
        },
        "provenance": {
            "data": [
                {"name": x.get("name"), "task": x.get("task"), "pairs": x.get("pairs"), "licence": x.get("licence")}
                for x in meta.get("data", [])
            ],
            "config": portable_config(cfg),
            "trainingSteps": int(ck.get("step", 0)),
            "tokensSeen": int(ck.get("tokensSeen", 0)),
            "dtype": ck.get("dtype", "fp32"),
            "lineage": [dict(e, package=portable_path(e.get("package"))) for e in ck.get("lineage") or []],
            "device": ck.get("device", "none"),
            "trainingSeconds": round(float(ck.get("trainingSeconds", 0.0)), 1),
            "metrics": metrics,
            "createdAt": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "note": note,
        },
    }
