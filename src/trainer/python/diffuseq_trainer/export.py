"""Export a model package (docs/model-format.md) from a checkpoint, or from an untrained model.

    python3 -m diffuseq_trainer.export --checkpoint RUN/weights.pt --out models/NAME [--fp16] [--name N]
    python3 -m diffuseq_trainer.export --random-init --data PREP_DIR --out models/_dev-random [--config F]

Writes manifest.json, denoiser.onnx, rounding.onnx, embeddings.bin, tokenizer.json, tokenizer_config.json
and parity/ (real validation batches with PyTorch's outputs, for the TypeScript side to check the ONNX
files with onnxruntime-node; parity.py, docs/CONTRACTS.md). Uses the EMA weights.

--fp16 stores the weights as float16: embeddings.bin, and every large initializer of denoiser.onnx followed by a
Cast back to float32, which onnxruntime folds when it loads the session. The graph still computes in float32
(onnxruntime's CPU kernels for float16 are incomplete and slower): the files halve, and the only change is the
rounding of the weights to float16, which the parity reference includes (the model is rounded before export).
"""

import argparse
import json
import os
import shutil
import sys

import torch

from . import ckpt as ckpt_io
from .config import load_config, resolve_budget
from .data import WORD_LIST_FILE, PreparedData
from .entry import log, run_main
from .manifest import package_manifest
from .model import Denoiser
from .onnx_graphs import export_denoiser, export_rounding, round_weights_to_fp16, store_initializers_fp16
from .parity import write_parity
from .raw_arrays import write_raw


def embedding_matrix(model):
    """V+1 rows: the tied token embedding, then the learned absorbing vector (row V)."""
    with torch.no_grad():
        return torch.cat([model.embedding_table(), model.absorb[None, :]], dim=0).float().cpu().numpy()


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
    man = package_manifest(
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
    """The weights.pt dict (ckpt.py) of an untrained model, for engine development."""
    cfg = load_config(config_path)
    data = PreparedData(data_dir)
    resolve_budget(cfg, data.meta)
    torch.manual_seed(seed)
    model = Denoiser.from_config(cfg, data.vocab_size, data.max_len)
    split = data.split("valid") if os.path.exists(os.path.join(data_dir, "valid.index.bin")) else data.split("train")
    cfg["data"]["dir"] = data_dir
    examples = ckpt_io.example_rows(split)
    return ckpt_io.weights_checkpoint(
        model.state_dict(), cfg, data.meta, data_dir, examples, device="none (untrained)", metrics={}
    )


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
            names = (ckpt_io.WEIGHTS_FILE, ckpt_io.FULL_FILE)
            found = [os.path.join(path, f) for f in names if os.path.exists(os.path.join(path, f))]
            if not found:
                ap.error(f"{path} is a folder without {' or '.join(names)}")
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
