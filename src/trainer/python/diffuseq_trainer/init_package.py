"""Start training from a model package (`train --init models/default`): its weights back onto the modules.

A package holds everything the denoiser learned, in two places (docs/model-format.md):
  denoiser.onnx  every network parameter as an initializer named "model." + its state-dict key (the export
                 keeps names; a float16 package stores "<name>__fp16" and casts it back)
  embeddings.bin rows 0..V-1 = the tied token embedding, row V = the learned absorbing vector
So no checkpoint has to be committed for a later run to go on from the shipped model. Anything that does not
fit - another vocabulary, shape or layout - is refused with one message before training starts.
"""

import json
import os

import numpy as np
import torch

from .entry import log
from .onnx_graphs import FP16_SUFFIX, WEIGHT_ALIASES_KEY
from .raw_arrays import read_raw


class PackageMismatch(ValueError):
    """The package cannot initialise this config/data (the message says what differs)."""


def read_manifest(pkg_dir):
    path = os.path.join(pkg_dir, "manifest.json")
    if not os.path.isfile(path):
        raise PackageMismatch(f"--init {pkg_dir}: no manifest.json there (a model package folder is expected)")
    with open(path) as f:
        m = json.load(f)
    if m.get("format") != "diffuseq-v2":
        raise PackageMismatch(f"--init {pkg_dir}: manifest format is {m.get('format')!r}, not 'diffuseq-v2'")
    return m


def package_tensors(pkg_dir, manifest):
    """{state-dict key: float32 array} of everything the package stores."""
    import onnx
    from onnx import numpy_helper

    den = onnx.load(os.path.join(pkg_dir, manifest["files"]["denoiser"]))
    by_name = {}
    for init in den.graph.initializer:
        name = init.name[: -len(FP16_SUFFIX)] if init.name.endswith(FP16_SUFFIX) else init.name
        by_name[name] = numpy_helper.to_array(init).astype(np.float32)
    # Parameters the exporter merged into an equal-valued initializer (onnx_graphs.record_weight_aliases).
    meta = {p.key: p.value for p in den.metadata_props}
    for name, target in json.loads(meta.get(WEIGHT_ALIASES_KEY, "{}")).items():
        if target in by_name:
            by_name.setdefault(name, by_name[target])
    out = {name[len("model.") :]: a for name, a in by_name.items() if name.startswith("model.")}
    e = manifest["embedding"]
    emb = read_raw(os.path.join(pkg_dir, e["file"]), "float16" if e["dtype"] == "float16" else "float32")
    emb = emb.astype(np.float32)
    V, d = int(e["vocabSize"]), int(e["dim"])
    if emb.size != (V + 1) * d:
        raise PackageMismatch(f"--init {pkg_dir}: {e['file']} holds {emb.size} values, expected {(V + 1) * d}")
    emb = emb.reshape(V + 1, d)
    # The table is the embedding in the diffusion space, (LN) E / F (model.py); E = table * F reproduces it
    # (LayerNorm is blind to the scale and LN(LN(E)) = LN(E)).
    out["word_emb.weight"] = emb[:V] * float(manifest["diffusion"].get("noiseFactor", 1.0))
    out["absorb"] = emb[V]
    return out


def check_compatible(pkg_dir, manifest, cfg, vocab_size, data_dir):
    """Refuse a package whose vocabulary, tokenizer, shape or layout differs from the run's."""
    V = int(manifest["embedding"]["vocabSize"])
    if vocab_size != V:
        raise PackageMismatch(
            f"--init {pkg_dir}: the package has a vocabulary of {V}, the data {vocab_size}; encode the data with "
            f"the package's tokenizer: diffuseq prepare --tokenizer {pkg_dir} ..."
        )
    tok_pkg = os.path.join(pkg_dir, manifest["files"]["tokenizer"])
    tok_data = os.path.join(data_dir, "tokenizer.json")
    if os.path.exists(tok_data) and os.path.exists(tok_pkg):
        with open(tok_pkg, "rb") as a, open(tok_data, "rb") as b:
            if a.read() != b.read():
                raise PackageMismatch(
                    f"--init {pkg_dir}: {data_dir} was prepared with another tokenizer (same size, other tokens); "
                    f"prepare it again with: diffuseq prepare --tokenizer {pkg_dir} ..."
                )
    m, mm = cfg["model"], manifest.get("model") or {}
    wanted = {
        "dim": (int(manifest["embedding"]["dim"]), m["dim"]),
        "layers": (mm.get("layers"), m["layers"]),
        "width": (mm.get("width"), m["width"]),
        "heads": (mm.get("heads"), m["heads"]),
        "targetPositions": (mm.get("targetPositions", "absolute"), m["targetPositions"]),
        "embeddingNorm": (bool(mm.get("embeddingNorm", False)), bool(m.get("embeddingNorm", False))),
        "noiseFactor": (
            float(manifest["diffusion"].get("noiseFactor", 1.0)),
            float(cfg["diffusion"].get("noiseFactor", 1.0)),
        ),
        "selfConditioning": (
            bool(manifest["diffusion"]["selfConditioning"]),
            bool(cfg["diffusion"]["selfConditioning"]),
        ),
    }
    diff = [f"{k} {p} (package) vs {c} (config)" for k, (p, c) in wanted.items() if p is not None and p != c]
    if diff:
        raise PackageMismatch(f"--init {pkg_dir}: the package's shape differs from the config: " + "; ".join(diff))


def init_from_package(model, pkg_dir, cfg, vocab_size, data_dir):
    """Load the package's weights into `model` (in place). Returns the manifest."""
    manifest = read_manifest(pkg_dir)
    check_compatible(pkg_dir, manifest, cfg, vocab_size, data_dir)
    stored = package_tensors(pkg_dir, manifest)
    state = model.state_dict()
    missing = [k for k in state if k not in stored]
    if missing:
        raise PackageMismatch(
            f"--init {pkg_dir}: denoiser.onnx has no weights named {', '.join('model.' + k for k in missing[:3])}"
            f"{' …' if len(missing) > 3 else ''} (packages exported before names were kept cannot be continued; "
            f"export the run's weights.pt again)"
        )
    bad = [
        f"{k} {tuple(stored[k].shape)} vs {tuple(v.shape)}"
        for k, v in state.items()
        if tuple(stored[k].shape) != tuple(v.shape)
    ]
    if bad:
        raise PackageMismatch(f"--init {pkg_dir}: tensor shapes differ (package vs config): {'; '.join(bad[:3])}")
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(stored[k])) for k in state})
    return manifest


def start_from_package(model, pkg_dir, cfg, vocab_size, data_dir):
    """`train --init`: the package's weights into `model`; returns the run's (lineage, tokens seen, training
    seconds), which go on from the package's, so that the next package says what it cost in all."""
    man = init_from_package(model, pkg_dir, cfg, vocab_size, data_dir)
    prov = man.get("provenance") or {}
    lineage = list(prov.get("lineage") or []) + [lineage_entry(pkg_dir, man)]
    tokens_seen = int(prov.get("tokensSeen") or 0)
    log(f"initialised from {pkg_dir} ({man.get('name')}, {tokens_seen / 1e6:.1f}M tokens seen)")
    return lineage, tokens_seen, float(prov.get("trainingSeconds") or 0.0)


def lineage_entry(pkg_dir, manifest):
    """What the new package records about the one it started from."""
    prov = manifest.get("provenance") or {}
    return {
        "package": os.path.abspath(pkg_dir),
        "name": manifest.get("name"),
        "createdAt": prov.get("createdAt"),
        "trainingSteps": prov.get("trainingSteps"),
        "tokensSeen": prov.get("tokensSeen"),
        "trainingSeconds": prov.get("trainingSeconds"),
    }
