"""Export a model package (docs/model-format.md) from a checkpoint, or from an untrained model.

    python3 -m diffuseq_trainer.export --checkpoint RUN/weights.pt --out models/NAME [--fp16] [--name N]
    python3 -m diffuseq_trainer.export --random-init --data PREP_DIR --out models/_dev-random [--config F]

Writes manifest.json, denoiser.onnx, rounding.onnx, embeddings.bin, tokenizer.json, tokenizer_config.json
and parity/ (real validation batches with PyTorch's outputs, for the TypeScript side to check the ONNX
files with onnxruntime-node; see PARITY.md beside this file). Uses the EMA weights.

--fp16 stores the weights as float16: embeddings.bin, and every large initializer of denoiser.onnx followed by a
Cast back to float32, which onnxruntime folds when it loads the session. The graph still computes in float32
(onnxruntime's CPU kernels for float16 are incomplete and slower): the files halve, and the only change is the
rounding of the weights to float16, which the parity reference includes (the model is rounded before export).
"""

import argparse
import datetime
import inspect
import json
import os
import shutil
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn

from . import ckpt as ckpt_io
from .config import load_config, resolve_budget
from .data import PreparedData, collate
from .decode import round_tokens
from .diffusion import DiffusionLoss, target_start
from .entry import run_main
from .model import Denoiser, count_parameters

OPSET = 17


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class DenoiserGraph(nn.Module):
    """The exported signature: the inputs named by `graph_inputs`, in its order -> x0."""

    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, list(names)

    def forward(self, *inputs):
        given = dict(zip(self.names, inputs, strict=True))
        return self.model(given["x_t"], given["t"], given.get("x_self_cond"), given.get("target_start"))


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


def graph_inputs(model, x_t, t, x_self_cond, target_start):
    """The denoiser graph's input names and values, in order (docs/model-format.md)."""
    names, values = ["x_t", "t"], [x_t, t]
    if model.self_conditioning:
        names.append("x_self_cond")
        values.append(x_self_cond)
    if model.target_positions == "restart":
        names.append("target_start")
        values.append(target_start)
    return names, values


class RoundingGraph(nn.Module):
    """Weight-free nearest-embedding rounding: argmax_v (x . E_v - 0.5 |E_v|^2)."""

    def forward(self, x, embedding):
        scores = torch.matmul(x, embedding.t()) - 0.5 * (embedding * embedding).sum(-1)
        return torch.argmax(scores, dim=-1)


def onnx_export(module, args, path, input_names, output_names, dynamic_axes, fold=True):
    """fold=False keeps every parameter as an initializer under its state-dict name ("model." + key):
    folding would store each Linear's transposed weight as an anonymous "onnx::MatMul_N", and training can
    only continue from a package (`train --init`) whose weights it can name. onnxruntime folds those
    Transposes itself when it loads the graph, so inference is as fast."""
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # the TorchScript exporter: stable, dynamic axes as given, no onnxscript
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer/deprecation chatter; the graph is checked by the tests
        torch.onnx.export(
            module,
            args,
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=fold,
            **kw,
        )


def export_denoiser(model, path):
    model.eval()
    model.set_explicit_attention(True)
    d = model.dim
    x = torch.randn(2, 7, d)
    t = torch.tensor([3.0, 1500.5])
    names, args = graph_inputs(model, x, t, torch.randn(2, 7, d), torch.tensor([3, 4], dtype=torch.long))
    axes = {
        "x_t": {0: "batch", 1: "length"},
        "t": {0: "batch"},
        "x0": {0: "batch", 1: "length"},
        "x_self_cond": {0: "batch", 1: "length"},
        "target_start": {0: "batch"},
    }
    axes = {k: v for k, v in axes.items() if k in names or k == "x0"}
    with torch.no_grad():
        onnx_export(DenoiserGraph(model, names), tuple(args), path, names, ["x0"], axes, fold=False)
    record_weight_aliases(model, path)


WEIGHT_ALIASES_KEY = "diffuseq.weightAliases"
FP16_SUFFIX = "__fp16"  # store_initializers_fp16 stores initializer NAME as NAME + this, cast back to NAME


def record_weight_aliases(model, path):
    """The exporter merges parameters of equal value into one initializer (zero biases, unit LayerNorm
    gains of an untrained model...), so some state-dict names are absent from the graph. Record, in the
    graph's metadata, which stored initializer holds each of them: `train --init` needs every name."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    stored = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    aliases = {}
    for key, value in model.state_dict().items():
        name = "model." + key
        if name in stored or key in ("word_emb.weight", "absorb"):
            continue
        v = value.detach().cpu().numpy()
        same = next((n for n, a in stored.items() if a.shape == v.shape and np.array_equal(a, v)), None)
        if same is None:
            raise RuntimeError(f"export: parameter {key} is neither in denoiser.onnx nor equal to a stored weight")
        aliases[name] = same
    if aliases:
        m.metadata_props.add(key=WEIGHT_ALIASES_KEY, value=json.dumps(aliases, sort_keys=True))
        onnx.save(m, path)


def export_rounding(path, dim):
    x, e = torch.randn(2, 5, dim), torch.randn(11, dim)
    axes = {"x": {0: "batch", 1: "length"}, "embedding": {0: "vocab"}, "tokens": {0: "batch", 1: "length"}}
    with torch.no_grad():
        onnx_export(RoundingGraph(), (x, e), path, ["x", "embedding"], ["tokens"], axes)


def round_weights_to_fp16(model):
    """Round every parameter to float16 precision (kept as float32), so that PyTorch's parity reference is
    the same model that a float16-stored package describes."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())


def store_initializers_fp16(path, min_elements=64):
    """Rewrite an ONNX file so that its float32 initializers of at least min_elements are stored as float16,
    each followed by a Cast to float32 under the original name. Returns (bytes before, bytes after)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    before = os.path.getsize(path)
    m = onnx.load(path)
    g = m.graph
    inits, casts = [], []
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elements:
            half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + FP16_SUFFIX)
            inits.append(half)
            casts.append(
                helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "__to_float")
            )
        else:
            inits.append(init)
    del g.initializer[:]
    g.initializer.extend(inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return before, os.path.getsize(path)


def embedding_matrix(model):
    """V+1 rows: the tied token embedding, then the learned absorbing vector (row V)."""
    with torch.no_grad():
        return torch.cat([model.word_emb.weight, model.absorb[None, :]], dim=0).float().cpu().numpy()


def write_raw(path, array, dtype):
    np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tofile(path)


# ----- parity fixture ---------------------------------------------------------------------------------


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
    diff = DiffusionLoss(
        model,
        T,
        cfg["diffusion"]["absorbingRate"],
        cfg["diffusion"]["schedule"],
        forward_process=cfg["diffusion"].get("forwardProcess", "replace-before-noise"),
    )
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
        ids, mask = collate(
            [(np.asarray(s), np.asarray(t)) for s, t in exs],
            pad,
            max_len,
            int(meta["lengths"]["maxTarget"]),
            tb["ratio"],
            tb["extra"],
            1,
        )
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
    ids, _ = collate(
        [(np.asarray(s), np.asarray(t)) for s, t in examples[:2]],
        pad,
        max_len,
        int(meta["lengths"]["maxTarget"]),
        tb["ratio"],
        tb["extra"],
        1,
    )
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


# ----- manifest ---------------------------------------------------------------------------------------


def manifest(ck, model, name, description, note, emb_dtype):
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


def write_tokenizer(ck, data_dir, out_dir):
    """Tokenizer files: from an explicit --data folder, else the copy inside the checkpoint, else the
    data folder the checkpoint was trained on."""
    stored = ck.get("tokenizer") or {}
    for fname in ckpt_io.TOKENIZER_FILES:
        dst = os.path.join(out_dir, fname)
        if data_dir and os.path.exists(os.path.join(data_dir, fname)):
            shutil.copyfile(os.path.join(data_dir, fname), dst)
        elif fname in stored:
            with open(dst, "w", encoding="utf-8") as f:
                f.write(stored[fname])
        elif ck.get("dataDir") and os.path.exists(os.path.join(ck["dataDir"], fname)):
            shutil.copyfile(os.path.join(ck["dataDir"], fname), dst)
        else:
            log(f"warning: no {fname} in the data folder or the checkpoint; the package is incomplete")


WORD_LIST_FILE = "words.txt.gz"


def write_word_list(ck, data_dir, out_dir):
    """The word list `prepare` wrote (the engine's constrained rounding, src/engine/wordList.ts), copied as it is
    from the data folder (--data, else the one the checkpoint was trained on). False when there is none: the
    package then loads without one, as packages from before it did."""
    for d in (data_dir, ck.get("dataDir")):
        if d and os.path.exists(os.path.join(d, WORD_LIST_FILE)):
            shutil.copyfile(os.path.join(d, WORD_LIST_FILE), os.path.join(out_dir, WORD_LIST_FILE))
            return True
    log(f"note: no {WORD_LIST_FILE} in the data folder (prepared before word lists): the package has no word list")
    return False


def export_package(ck, out_dir, fp16=False, name=None, description=None, note=None, data_dir=None):
    os.makedirs(out_dir, exist_ok=True)
    model = ckpt_io.build_model(ck).eval()
    cfg = ck["config"]
    if fp16:
        round_weights_to_fp16(model)
    export_denoiser(model, os.path.join(out_dir, "denoiser.onnx"))
    if fp16:
        before, after = store_initializers_fp16(os.path.join(out_dir, "denoiser.onnx"))
        log(f"denoiser.onnx: weights stored as float16, {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    export_rounding(os.path.join(out_dir, "rounding.onnx"), model.dim)
    emb = embedding_matrix(model)
    emb_dtype = "float16" if fp16 else "float32"
    write_raw(os.path.join(out_dir, "embeddings.bin"), emb, emb_dtype)
    emb_stored = emb  # with fp16 the model was rounded already, so the stored float16 rows are exact
    write_tokenizer(ck, data_dir, out_dir)
    has_words = write_word_list(ck, data_dir, out_dir)
    examples = ck.get("validExamples") or []
    if examples:
        write_parity(model, cfg, ck["meta"], examples, out_dir, emb_stored)
    else:
        log("warning: no validation examples: parity/ not written")
    man = manifest(
        ck,
        model,
        name or cfg.get("name", "model"),
        description or cfg.get("description", ""),
        note if note is not None else cfg.get("note", ""),
        emb_dtype,
    )
    if has_words:
        man["files"]["words"] = WORD_LIST_FILE
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
    return man


def random_init_checkpoint(config_path, data_dir, seed=0):
    """A checkpoint-like dict of an untrained model, for engine development."""
    cfg = load_config(config_path)
    data = PreparedData(data_dir)
    resolve_budget(cfg, data.meta)
    torch.manual_seed(seed)
    model = Denoiser.from_config(cfg, data.vocab_size, data.max_len)
    split = data.split("valid") if os.path.exists(os.path.join(data_dir, "valid.index.bin")) else data.split("train")
    examples = [[e.tolist() for e in split.example(i)] for i in range(min(64, len(split)))]
    cfg["data"]["dir"] = data_dir
    return {
        "kind": "weights",
        "ema": model.state_dict(),
        "config": cfg,
        "meta": data.meta,
        "step": 0,
        "tokensSeen": 0,
        "trainingSeconds": 0.0,
        "device": "none (untrained)",
        "metrics": {},
        "tokenizer": ckpt_io.read_tokenizer_files(data_dir),
        "validExamples": examples,
        "dataDir": os.path.abspath(data_dir),
    }


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    default_cfg = os.path.normpath(os.path.join(here, "..", "..", "configs", "default.json"))
    ap = argparse.ArgumentParser(description="Export a DiffuSeq-v2 model package (docs/model-format.md).")
    ap.add_argument("--checkpoint", help="RUN/weights.pt or RUN/ckpt.pt")
    ap.add_argument("--random-init", action="store_true", help="export an untrained model (needs --data)")
    ap.add_argument("--config", default=default_cfg, help="config for --random-init (default: configs/default.json)")
    ap.add_argument("--data", help="prepared data folder (tokenizer files; required with --random-init)")
    ap.add_argument("--out", required=True)
    ap.add_argument(
        "--fp16",
        action="store_true",
        help="store the weights (embeddings.bin and the denoiser's initializers) as float16",
    )
    ap.add_argument("--name")
    ap.add_argument("--description")
    ap.add_argument("--note")
    a = ap.parse_args(argv)
    if a.random_init:
        if not a.data:
            ap.error("--random-init needs --data")
        ck = random_init_checkpoint(a.config, a.data)
        note = a.note if a.note is not None else "untrained random weights, for engine development only"
        name = a.name or "dev-random"
    elif a.checkpoint:
        path = a.checkpoint
        if os.path.isdir(path):  # a run folder: its EMA weights
            found = [os.path.join(path, f) for f in ("weights.pt", "ckpt.pt") if os.path.exists(os.path.join(path, f))]
            if not found:
                ap.error(f"{path} is a folder without weights.pt or ckpt.pt")
            path = found[0]
        if not os.path.isfile(path):
            ap.error(f"checkpoint {path} not found")
        ck, note, name = ckpt_io.load(path), a.note, a.name
    else:
        ap.error("give --checkpoint or --random-init")
    man = export_package(ck, a.out, fp16=a.fp16, name=name, description=a.description, note=note, data_dir=a.data)
    print(
        json.dumps({"out": a.out, "parameters": man["model"]["parameters"], "step": man["provenance"]["trainingSteps"]})
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, "diffuseq export"))
