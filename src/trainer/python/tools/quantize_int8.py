"""int8 (dynamic, per-channel) weights for a package's denoiser, with onnxruntime's quantizer.

    python3 -m pip install onnxruntime onnx        # installs offline from the machine's wheel index here
    python3 src/trainer/python/tools/quantize_int8.py models/default runs/pkg-int8

Copies the package, folds the graph with onnxruntime (the export keeps each Linear's weight under its name and a
Transpose in front of the MatMul, which the quantizer cannot see through), then quantizes every MatMul's
constant weight to int8 (activations stay float32, quantized on the fly). The result is a package the engine
loads like any other; `train --init` cannot continue from it (its weights are no longer named float tensors).
"""

import json
import os
import shutil
import sys


def main(src, dst):
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    shutil.copytree(src, dst, dirs_exist_ok=True)
    den = os.path.join(dst, "denoiser.onnx")
    folded = os.path.join(dst, "denoiser.folded.onnx")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # constant folding, no fusions
    so.optimized_model_filepath = folded
    ort.InferenceSession(den, so, providers=["CPUExecutionProvider"])
    quantize_dynamic(folded, den, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    os.remove(folded)
    with open(os.path.join(dst, "manifest.json")) as f:
        man = json.load(f)
    man.setdefault("provenance", {})["note"] = (man["provenance"].get("note", "") + " [denoiser weights int8]").strip()
    man["provenance"].pop("parity", None)  # the parity record is the float model's
    with open(os.path.join(dst, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
    before = os.path.getsize(os.path.join(src, "denoiser.onnx"))
    print(f"{dst}/denoiser.onnx: {os.path.getsize(den) / 1e6:.1f} MB (was {before / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
