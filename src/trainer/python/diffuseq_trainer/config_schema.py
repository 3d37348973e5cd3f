"""The type and range of every training-config value, checked before anything is loaded: `"steps": "80"`,
`"batchSize": -4` or `"model": {"dimm": 33}` are one clear line, not a traceback deep in the trainer.

One entry per key, by its dotted path. A key that is in config.DEFAULTS but not here is checked against the type of
its default (a new key works at once; give it an entry for its range or choices). Extend with the helpers below.
"""

import difflib
import numbers


class Spec:
    """Checks one value: returns None when it is fine, else what it should be ("an integer ≥ 1")."""

    def __init__(self, what, ok):
        self.what, self.ok = what, ok

    def check(self, v):
        return None if self.ok(v) else self.what


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def _range_text(lo, hi, lo_open, hi_open):
    if hi is None:
        return f"{'>' if lo_open else '≥'} {lo}"
    return f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"


def Int(lo=None, hi=None):
    what = "an integer" + (f" {_range_text(lo, hi, False, False)}" if lo is not None else "")
    return Spec(what, lambda v: _is_int(v) and (lo is None or v >= lo) and (hi is None or v <= hi))


def Num(lo=None, hi=None, lo_open=False, hi_open=False):
    what = "a number" + (f" {_range_text(lo, hi, lo_open, hi_open)}" if lo is not None else "")

    def ok(v):
        if not _is_num(v):
            return False
        if lo is not None and (v <= lo if lo_open else v < lo):
            return False
        return hi is None or (v < hi if hi_open else v <= hi)

    return Spec(what, ok)


def Str(nonempty=False):
    return Spec(
        "a non-empty string" if nonempty else "a string",
        lambda v: isinstance(v, str) and (not nonempty or v.strip() != ""),
    )


def Bool():
    return Spec("true or false", lambda v: isinstance(v, bool))


def Choice(*values):
    return Spec("one of " + ", ".join(f'"{c}"' for c in values), lambda v: isinstance(v, str) and v in values)


def Nullable(spec):
    return Spec(f"null or {spec.what}", lambda v: v is None or spec.ok(v))


def MapOf(spec):
    """An object whose every value is `spec` (data.taskWeights: task name -> weight)."""
    return Spec(f"an object of {spec.what}", lambda v: isinstance(v, dict) and all(spec.ok(x) for x in v.values()))


def Record(**fields):
    """An object with exactly these fields (lengths.targetBudget: {ratio, extra})."""
    names = ", ".join(fields)

    def ok(v):
        return isinstance(v, dict) and set(v) == set(fields) and all(fields[k].ok(v[k]) for k in fields)

    return Spec(f"an object {{{names}}} of {', '.join(s.what for s in fields.values())}", ok)


# Every key of config.DEFAULTS (and of the shipped configs and recipe arms): its type and range.
SCHEMA = {
    "name": Str(nonempty=True),
    "description": Str(),
    "note": Str(),
    "data.dir": Str(nonempty=True),
    "data.taskWeights": MapOf(Num(0)),
    "out": Str(nonempty=True),
    "model.dim": Int(1),
    "model.width": Int(1),
    "model.layers": Int(1),
    "model.heads": Int(1),
    "model.ffnMult": Int(1),
    "model.dropout": Num(0, 1, hi_open=True),
    "model.timeDim": Int(2),
    "model.targetPositions": Choice("absolute", "restart"),
    "model.embeddingNorm": Bool(),
    "diffusion.schedule": Choice("sqrt"),
    "diffusion.steps": Int(2),
    "diffusion.absorbingRate": Num(0, 1),
    "diffusion.absorbingRateEnd": Nullable(Num(0, 1)),
    "diffusion.noiseFactor": Num(0, lo_open=True),
    "diffusion.selfConditioning": Bool(),
    # The forward-process option the lead is adding to DEFAULTS (unused until it is there: unknown keys are refused).
    "diffusion.forwardProcess": Choice("official", "replace-before-noise"),
    "diffusion.x0CeWeight": Num(0),
    "diffusion.x0CeMaxT": Num(0, 1),
    "diffusion.x0CeLabelSmoothing": Num(0, 1, hi_open=True),
    "diffusion.minConfusion": Nullable(Num(0, 0.5, lo_open=True, hi_open=True)),
    "diffusion.timestepSampler": Choice("uniform", "lossaware"),
    "diffusion.lossAwareHistory": Int(1),
    "diffusion.lossAwareUniformProb": Num(0, 1),
    "lengths.targetBudget": Nullable(Record(ratio=Num(0, lo_open=True), extra=Int(0))),
    "lengths.padMultiple": Int(1),
    "train.seed": Int(0),
    "train.steps": Int(1),
    "train.batchSize": Int(1),
    "train.lr": Num(0, lo_open=True),
    "train.minLrRatio": Num(0, 1),
    "train.warmupSteps": Int(0),
    "train.decay": Choice("cosine", "linear", "constant"),
    "train.weightDecay": Num(0),
    "train.beta1": Num(0, 1, hi_open=True),
    "train.beta2": Num(0, 1, hi_open=True),
    "train.gradClip": Num(0),
    "train.emaDecay": Num(0, 1),
    "train.dtype": Choice("auto", "bf16", "fp32"),
    "train.compile": Bool(),
    "train.bucketPool": Int(1),
    "train.logEvery": Int(1),
    "train.evalEvery": Int(0),
    "train.checkpointEvery": Int(0),
    "train.keepSnapshots": Bool(),
    "train.validBatches": Int(1),
    "train.validBatchSize": Int(1),
    "train.bleuExamples": Int(0),
    "train.bleuSteps": Int(1),
    "train.threads": Int(0),
}

# Objects whose keys are the user's own (task names), not config keys.
FREE_KEYS = ("data.taskWeights", "lengths.targetBudget")


def _by_default(default):
    """The fallback spec of a key with no SCHEMA entry: the type of its default."""
    if isinstance(default, bool):
        return Bool()
    if _is_int(default):
        return Int()
    if _is_num(default):
        return Num()
    if isinstance(default, str):
        return Str()
    return Spec("a value", lambda v: True)


def _leaves(d, prefix=""):
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v and path not in FREE_KEYS:
            yield from _leaves(v, f"{path}.")
        else:
            yield path, v


def _is_comment(key):
    return key.startswith("_") or key.startswith("//")


def check_keys(user, defaults, path=""):
    """Unknown keys are almost always typos: the first one is an error that names the nearest known key."""
    for k, v in user.items():
        if _is_comment(k):
            continue
        full = f"{path}{k}"
        if not isinstance(defaults, dict) or k not in defaults:
            known = list(defaults) if isinstance(defaults, dict) else []
            near = difflib.get_close_matches(k, known, n=1)
            hint = f" (did you mean {path}{near[0]}?)" if near else (f" (known: {', '.join(known)})" if known else "")
            raise ValueError(f"unknown config key {full}{hint}")
        if full in FREE_KEYS:
            continue
        if isinstance(defaults[k], dict) and defaults[k]:
            if not isinstance(v, dict):
                raise ValueError(f"config key {full} must be an object (got {_show(v)})")
            check_keys(v, defaults[k], f"{full}.")


def check_values(cfg, defaults):
    """Every value of the merged config against SCHEMA (or its default's type), plus what ties keys together."""
    flat_defaults = dict(_leaves(defaults))
    for path, v in _leaves(cfg):
        if _is_comment(path.rsplit(".", 1)[-1]):
            continue
        spec = SCHEMA.get(path) or _by_default(flat_defaults.get(path))
        problem = spec.check(v)
        if problem:
            raise ValueError(f"config key {path} must be {problem} (got {_show(v)})")
    m = cfg.get("model", {})
    if _is_int(m.get("width")) and _is_int(m.get("heads")) and m["width"] % m["heads"]:
        raise ValueError(f"config key model.width ({m['width']}) must be a multiple of model.heads ({m['heads']})")
    if _is_int(m.get("timeDim")) and m["timeDim"] % 2:
        raise ValueError(f"config key model.timeDim must be even (sine and cosine halves; got {m['timeDim']})")


def _show(v):
    import json

    try:
        s = json.dumps(v)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."
