"""Training configuration: one JSON file merged over the defaults below.

Every key is documented in src/trainer/configs/README.md; keep the two in sync.
"""

import copy
import json

from .config_schema import check_keys, check_values

DEFAULTS = {
    "name": "model",
    "description": "DiffuSeq-v2 paraphrase/simplification model",
    "note": "",
    "data": {
        # Prepared data folder (docs/data-format.md); --data overrides it.
        "dir": "runs/prep-dev",
        # task name -> relative sampling weight; {} = the data's natural mix.
        "taskWeights": {},
    },
    "out": "runs/train",
    "model": {
        "dim": 128,  # embedding dimension d (the diffusion space)
        "width": 256,  # transformer width
        "layers": 4,
        "heads": 4,
        "ffnMult": 4,
        "dropout": 0.1,
        "timeDim": 128,  # sinusoidal timestep features before the MLP
        # "absolute" (DiffuSeq: one position sequence over source + target) | "restart" (target positions
        # restart at 0, plus a source/target segment embedding; exported with a target_start input)
        "targetPositions": "absolute",
        # Difformer's LayerNorm on the embeddings (without gain and bias; model.py).
        "embeddingNorm": False,
    },
    "diffusion": {
        "schedule": "sqrt",
        "steps": 2000,  # T
        "absorbingRate": 0.5,  # gamma: P(absorb target position) = gamma * sqrt(1 - abar_t)
        # null: gamma constant; a number: gamma falls (or rises) linearly to it over train.steps.
        "absorbingRateEnd": None,
        # Difformer's noise factor F (their QQP script: 4): x_t = sqrt(abar) x_0 + F sqrt(1 - abar) eps. 1 = DiffuSeq.
        "noiseFactor": 1.0,
        # "official" (DiffuSeq-v2's q_sample: Gaussian centred on m, then exactly m; m starts at N(0, 1/d)) |
        # "replace-before-noise" (x_start replaced by m before the noise; m starts at N(0, I)). diffusion.py.
        "forwardProcess": "replace-before-noise",
        "selfConditioning": False,
        # Cross-entropy of the predicted x0 through the tied embedding, weighted, on rows with
        # t < x0CeMaxT * T only. 0 = DiffuSeq's loss (x0 only regressed, never decoded in training).
        "x0CeWeight": 0.0,
        "x0CeMaxT": 1.0,
        "x0CeLabelSmoothing": 0.0,  # Difformer's anchor loss: 0.1
        # DINOISER's clipped noise: null = off; p = never draw a t whose noise would move fewer than p of the
        # tokens past the midpoint to their nearest embedding (recomputed every 100 steps; diffusion.py).
        "minConfusion": None,
        "timestepSampler": "lossaware",  # "uniform" | "lossaware"
        "lossAwareHistory": 10,
        "lossAwareUniformProb": 0.001,
    },
    "lengths": {
        # {ratio, extra}; null = the prepared data's meta.lengths.targetBudget, else FALLBACK_BUDGET.
        "targetBudget": None,
        "padMultiple": 8,  # batch length rounded up to this (tensor cores, fewer compiles)
    },
    "train": {
        "seed": 1234,
        "steps": 20000,
        "batchSize": 256,
        "lr": 3e-4,
        "minLrRatio": 0.1,
        "warmupSteps": 500,
        "decay": "cosine",  # "cosine" | "linear" | "constant"
        "weightDecay": 0.0,
        "beta1": 0.9,
        "beta2": 0.999,
        "gradClip": 1.0,
        "emaDecay": 0.9999,
        # "auto": bf16 on CUDA; on the CPU a few timed steps of each decide (bf16 wins where the CPU
        # has AMX/AVX512-BF16, can lose elsewhere). "bf16" | "fp32" force it.
        "dtype": "auto",
        "compile": False,
        "bucketPool": 50,  # batches drawn at once and bucketed by source length
        "logEvery": 50,
        "evalEvery": 1000,
        "checkpointEvery": 2000,
        # Also keep RUN/snapshots/step-N.pt (the weights) at every checkpoint: arms compared at equal steps
        # before they end, learning curves (tools/snapshot_curve.py).
        "keepSnapshots": False,
        "validBatches": 8,
        "validBatchSize": 64,
        "bleuExamples": 64,
        "bleuSteps": 10,
        "threads": 0,  # CPU threads for torch (0 = all cores)
    },
}


# The default of `prepare` and the engine (src/engine/text.ts DEFAULT_TARGET_BUDGET); pinned by
# test/fixtures/target-budget.json.
FALLBACK_BUDGET = {"ratio": 1.5, "extra": 6}


def resolve_budget(cfg, meta):
    """Fill lengths.targetBudget in place (config, else data meta, else FALLBACK_BUDGET); the resolved value is
    what training uses and what the manifest records for the engine."""
    tb = cfg["lengths"].get("targetBudget")
    if not tb:
        tb = (meta.get("lengths") or {}).get("targetBudget") or FALLBACK_BUDGET
    cfg["lengths"]["targetBudget"] = {"ratio": float(tb["ratio"]), "extra": int(tb["extra"])}
    return cfg


def deep_merge(base, over):
    """A copy of `base` with `over` merged in recursively (dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "taskWeights":
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def check_unknown(cfg, ref=DEFAULTS, path=""):
    """Unknown keys are almost always typos: fail (naming the nearest known key) instead of ignoring them."""
    check_keys(cfg, ref, path)


def check_config(cfg):
    """Unknown keys, then every value's type and range (config_schema.SCHEMA); raises ValueError, one line."""
    check_keys(cfg, DEFAULTS)
    check_values(deep_merge(DEFAULTS, cfg), DEFAULTS)


def load_config(path=None, overrides=None):
    user = {}
    if path:
        with open(path) as f:
            user = json.load(f)
    if not isinstance(user, dict):
        raise ValueError(f"config {path} must hold a JSON object")
    check_unknown(user)
    cfg = deep_merge(DEFAULTS, user)
    if overrides:
        cfg = deep_merge(cfg, overrides)
    check_values(cfg, DEFAULTS)
    return cfg
