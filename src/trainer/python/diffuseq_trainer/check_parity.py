"""Optional: check an exported package's ONNX files against its parity/ fixture (parity.py writes it) with Python
onnxruntime (where it is installed; the shipped check is the TypeScript `diffuseq export` with onnxruntime-node),
and time the denoiser on the CPU the way the engine calls it (8 candidates x 10 steps).

    python3 -m diffuseq_trainer.check_parity PACKAGE_DIR [--threads 2] [--length 64]
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from .raw_arrays import read_raw


def read(pdir, spec):
    """An array of the fixture, as parity.py described it: {file, dtype, shape}."""
    return read_raw(os.path.join(pdir, spec["file"]), spec["dtype"], spec["shape"])


def main(argv=None):
    import onnxruntime as ort

    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--length", type=int, default=64)
    a = ap.parse_args(argv)
    with open(os.path.join(a.package, "manifest.json")) as f:
        man = json.load(f)
    pdir = os.path.join(a.package, "parity")
    with open(os.path.join(pdir, "parity.json")) as f:
        desc = json.load(f)
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    den = ort.InferenceSession(os.path.join(a.package, "denoiser.onnx"), so, providers=["CPUExecutionProvider"])
    rnd = ort.InferenceSession(os.path.join(a.package, "rounding.onnx"), so, providers=["CPUExecutionProvider"])
    worst = 0.0
    for b in desc["denoiser"]:
        feeds = {k: read(pdir, v) for k, v in b["inputs"].items()}
        got = den.run(["x0"], feeds)[0]
        diff = float(np.abs(got - read(pdir, b["outputs"]["x0"])).max())
        worst = max(worst, diff)
        print(json.dumps({"batch": b["name"], "shape": list(got.shape), "maxAbsDiff": diff}))
    emb_spec = man["embedding"]
    emb = read_raw(os.path.join(a.package, emb_spec["file"]), emb_spec["dtype"])
    emb = emb.reshape(emb_spec["vocabSize"] + 1, emb_spec["dim"]).astype(np.float32)[: emb_spec["vocabSize"]]
    mism = 0
    for r in desc["rounding"]:
        got = rnd.run(["tokens"], {"x": read(pdir, r["inputs"]["x"]), "embedding": emb})[0]
        mism += int((got != read(pdir, r["outputs"]["tokens"])).sum())
    # Latency like the engine: 8 candidates, one length, 10 solver steps (+1 rounding).
    d, L = emb_spec["dim"], a.length
    x = np.random.randn(8, L, d).astype(np.float32)
    feeds = {"x_t": x, "t": np.full(8, 1000.0, np.float32)}
    if man["diffusion"]["selfConditioning"]:
        feeds["x_self_cond"] = np.zeros_like(x)
    den.run(["x0"], feeds)
    t0 = time.time()
    for _ in range(10):
        den.run(["x0"], feeds)
    t_den = time.time() - t0
    t0 = time.time()
    rnd.run(["tokens"], {"x": x, "embedding": emb})
    t_rnd = time.time() - t0
    out = {
        "maxAbsDiff": worst,
        "roundingMismatches": mism,
        "denoiser10x8ms": round(1000 * t_den, 1),
        "rounding8ms": round(1000 * t_rnd, 1),
        "threads": a.threads,
        "length": L,
    }
    print(json.dumps(out))
    return 0 if worst < desc.get("tolerance", 1e-3) and mism == 0 else 1


if __name__ == "__main__":
    from diffuseq_trainer.entry import run_main

    sys.exit(run_main(main, "check_parity"))
