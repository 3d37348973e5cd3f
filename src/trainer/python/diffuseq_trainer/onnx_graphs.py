"""The two ONNX graphs of a model package (docs/model-format.md) and how their weights are stored in them.

denoiser.onnx  the network, x_t, t (+ x_self_cond, target_start) -> x0, every parameter an initializer named
               "model." + its state-dict key (what `train --init` reads back, init_package.py); parameters the
               exporter merged into one equal initializer are listed in the metadata (WEIGHT_ALIASES_KEY);
               with --fp16 each large initializer is stored as float16 under NAME + FP16_SUFFIX, cast back.
rounding.onnx  weight-free nearest-embedding rounding (x, embedding) -> tokens.
"""

import inspect
import json
import os
import warnings

import numpy as np
import torch
import torch.nn as nn

OPSET = 17
WEIGHT_ALIASES_KEY = "diffuseq.weightAliases"
FP16_SUFFIX = "__fp16"  # store_initializers_fp16 stores initializer NAME as NAME + this, cast back to NAME


class DenoiserGraph(nn.Module):
    """The exported signature: the inputs named by `graph_inputs`, in its order -> x0."""

    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, list(names)

    def forward(self, *inputs):
        given = dict(zip(self.names, inputs, strict=True))
        return self.model(given["x_t"], given["t"], given.get("x_self_cond"), given.get("target_start"))


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
