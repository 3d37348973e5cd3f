"""Equal-wall-time recipe comparison: train each arm of recipe_arms.json from scratch for the same budget of
idle-machine step time, export it, evaluate it with the engine, and print one table.

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 PYTHONPATH=src/trainer/python \\
      python3 src/trainer/python/tools/recipe_compare.py --data runs/prep-full --out runs/recipe \\
        [--arms src/trainer/python/tools/recipe_arms.json] [--only base,selfcond] [--eval-data ../shared/data]
    … recipe_compare.py --out runs/recipe --table     (the table of the arms done so far)

Why a step count and not --max-minutes: this machine is shared (tests, evals), so wall time under load says
more about the load than the recipe. Each arm's seconds per step are measured first (whole trainer steps,
tools/train_speed.py), and the arm trains budget / that many steps: what it would do in the budget alone.
All arms are timed before the first one trains (ARM.speed.json; delete it to re-time). Arms already finished in
--out are not retrained (delete RUN/ARM to redo one). Writes --out/summary.json.

--steps N trains every arm N steps instead (equal tokens, not equal time): for arms of the baseline's shape and
batch, on another machine than the one the baseline was timed on, where their speed says nothing about its budget.
Each result records how it was sized and the CPU it ran on.

An arm may name its own prepared data ("data": "runs/prep-8k") when what it tests is the data itself (a vocabulary
size, both directions); every other arm trains on --data.
"""

import argparse
import json
import os
import platform
import subprocess
import sys

import torch
from train_speed import time_trainer_steps

from diffuseq_trainer.config import deep_merge

CLI = ["node", "bin/diffuseq.js"]


def arm_config(spec, name, arm, out_dir):
    with open(spec["base"]) as f:
        cfg = deep_merge(json.load(f), arm["delta"])
    cfg["name"] = f"recipe-{name}"
    cfg["out"] = os.path.join(out_dir, name)
    # The base's description names the base's shape; an arm's package must say what the arm is instead.
    cfg["description"] = f"recipe arm {name} (tools/recipe_arms.json): {arm['why']}"
    cfg.pop("note", None)
    return cfg


def arm_data(arm, default_data):
    """The prepared folder this arm trains on: its own "data" when it tests the data, else the shared one."""
    return arm.get("data") or default_data


def sized(cfg, seconds_per_step, spec):
    """The arm trained for the budget at its measured speed."""
    return with_steps(cfg, max(50, int(spec["budgetMinutes"] * 60 / seconds_per_step)), spec)


def with_steps(cfg, steps, spec):
    """The arm trained for this many steps: warm-up, evals and checkpoints scale with it."""
    t = cfg["train"]
    t.update(
        steps=steps,
        warmupSteps=max(10, round(spec["warmupFraction"] * steps)),
        evalEvery=max(50, steps // 2),
        # Every ~500 steps at most (a few minutes here): a long arm cut short by the end of a working period
        # continues from its checkpoint (one_arm resumes it), not from scratch.
        checkpointEvery=max(50, min(500, steps // 2)),
        # The weights at every checkpoint: arms compared at equal steps while a long one is still running.
        keepSnapshots=True,
    )
    return cfg


def machine_name():
    """The CPU the arm trained on (its speed and its dtype choice depend on it)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(cmd, log_path=None):
    env = dict(os.environ, DIFFUSEQ_PROGRESS="lines")
    if log_path:
        with open(log_path, "w") as log:
            subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    else:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


def engine_eval(pkg, task, data, limit):
    out = run(
        CLI
        + ["eval", "--model", pkg, "--task", task, "--data", data, "--limit", str(limit)]
        + ["--candidates", "10", "--steps", "10", "--json"]
    )
    return json.loads(out)


def sized_config(spec, name, data, out_dir, steps=None, threads=None):
    """The arm's config with its step count: runs/recipe/ARM.json, sized from its speed measured once
    (ARM.speed.json). steps, when given, replaces the budget's step count (the speed is still measured, for the
    table). Only the timing is cached, so a later --steps (or none) resizes an arm that was timed before."""
    cfg_path = os.path.join(out_dir, f"{name}.json")
    speed_path = os.path.join(out_dir, f"{name}.speed.json")
    cfg = arm_config(spec, name, spec["arms"][name], out_dir)
    if os.path.exists(speed_path):
        with open(speed_path) as f:
            speed = json.load(f)
    else:
        with open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=2)
        # 30 steps: over 10 the batch-length mix and the 50 % self-conditioning draw swing the mean by ~10 %.
        speed = time_trainer_steps(cfg_path, arm_data(spec["arms"][name], data), 30, 0)
        print(f"[{name}] {speed['secondsPerStep']:.3f} s/step, {speed['tokensPerSec']} tok/s", flush=True)
        with open(speed_path, "w") as f:
            json.dump(speed, f, indent=2)
    # The dtype the timing chose, fixed: a run's own timing under load could choose otherwise.
    cfg["train"]["dtype"] = speed["dtype"]
    if threads:
        # Two arms side by side on two cores: one thread each (threads change the speed, not the recipe).
        cfg["train"]["threads"] = threads
    with open(cfg_path, "w") as f:
        json.dump(with_steps(cfg, steps, spec) if steps else sized(cfg, speed["secondsPerStep"], spec), f, indent=2)
    return cfg_path, speed


def one_arm(spec, name, data, out_dir, eval_data, steps=None, threads=None):
    arm = spec["arms"][name]
    run_dir = os.path.join(out_dir, name)
    done = os.path.join(run_dir, "result.json")
    if os.path.exists(done):
        with open(done) as f:
            return json.load(f)
    os.makedirs(run_dir, exist_ok=True)
    cfg_path, speed = sized_config(spec, name, data, out_dir, steps, threads)
    data = arm_data(arm, data)
    with open(cfg_path) as f:
        cfg = json.load(f)
    print(f"[{name}] training {cfg['train']['steps']} steps", flush=True)
    train = CLI + ["train", "--config", cfg_path, "--data", data, "--out", run_dir]
    ckpt = os.path.join(run_dir, "ckpt.pt")
    if os.path.exists(ckpt):
        print(f"[{name}] resuming from {ckpt}", flush=True)
        train += ["--resume", ckpt]
    run(train, os.path.join(out_dir, f"{name}.log" if not os.path.exists(ckpt) else f"{name}.resumed.log"))
    w = torch.load(os.path.join(run_dir, "weights.pt"), map_location="cpu")
    pkg = os.path.join(run_dir, "pkg")
    run(CLI + ["export", "--checkpoint", run_dir, "--out", pkg, "--fp16", "--name", f"recipe-{name}"])
    qqp = engine_eval(pkg, "paraphrase", os.path.join(eval_data, "qqp", "valid.jsonl"), 200)
    asset = engine_eval(pkg, "simplify", os.path.join(eval_data, "asset", "valid.jsonl"), 100)
    result = {
        "arm": name,
        "why": arm["why"],
        "delta": arm["delta"],
        "data": data,
        # "budget": the arm's own speed sized it; "steps": --steps fixed it (equal tokens, not equal time).
        "sizedBy": "steps" if steps else "budget",
        "machine": machine_name(),
        "params": sum(v.numel() for k, v in w["ema"].items()),
        "secondsPerStep": speed["secondsPerStep"],
        "tokensPerSec": speed["tokensPerSec"],
        "steps": w["step"],
        "tokensSeen": w["tokensSeen"],
        # What the run took here (the budget is idle-machine time; evals, checkpoints and load add to it).
        "trainingSeconds": round(w["trainingSeconds"]),
        "trainer": {k: w["metrics"].get(k) for k in ("validLoss", "sourceGain", "validBleu", "validUnchanged")},
        "qqpValid200": {k: qqp["mbr"][k] for k in ("bleu", "ibleu", "rougeL", "identicalToInput")},
        "qqpSelfBleu": qqp["diversity"].get("selfBleu"),
        "assetValid100": {k: asset["mbr"].get(k) for k in ("sari", "bleu", "compressionRatio", "identicalToInput")},
        "msPerSentence": qqp["timing"]["msPerSentence"],
    }
    with open(done, "w") as f:
        json.dump(result, f, indent=2)
    return result


def table(results):
    head = (
        "| arm | params | s/step | tok/s | steps | tokens | validLoss | sourceGain | trainer BLEU | qqp BLEU | "
        "iBLEU | unchanged | ROUGE-L | self-BLEU | asset SARI |"
    )
    rows = [head, "|" + "---|" * 15]
    for r in results:
        q, a, tr = r["qqpValid200"], r["assetValid100"], r["trainer"]
        rows.append(
            f"| {r['arm']} | {r['params'] / 1e6:.1f} M | {r['secondsPerStep']:.2f} | {r['tokensPerSec'] / 1e3:.1f}k | "
            f"{r['steps']} | {r['tokensSeen'] / 1e6:.1f} M | {tr['validLoss']:.4f} | {tr['sourceGain']:.3f} | "
            f"{tr['validBleu']:.3f} | {q['bleu']:.4f} | {q['ibleu']:.4f} | {100 * q['identicalToInput']:.1f} % | "
            f"{q['rougeL']:.3f} | {r['qqpSelfBleu']:.3f} | {a['sari']:.2f} |"
        )
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arms", default=os.path.join(os.path.dirname(__file__), "recipe_arms.json"))
    ap.add_argument("--data", help="prepared data folder (the same for every arm; not needed with --table)")
    ap.add_argument("--out", default="runs/recipe")
    ap.add_argument("--only", help="comma-separated arm names (default: all, in file order)")
    ap.add_argument("--eval-data", default=os.environ.get("DIFFUSEQ_DATA", "../shared/data"))
    ap.add_argument(
        "--steps",
        type=int,
        help="train every arm this many steps instead of the budget at its own speed: equal tokens, for arms of "
        "the baseline's shape run on another machine than the one the baseline was timed on",
    )
    ap.add_argument("--threads", type=int, help="torch threads per arm (default: the config's)")
    ap.add_argument("--table", action="store_true", help="print the table of the arms finished in --out; train nothing")
    a = ap.parse_args()
    if a.table:
        done = [os.path.join(a.out, n, "result.json") for n in sorted(os.listdir(a.out))]
        results = []
        for path in done:
            if os.path.exists(path):
                with open(path) as f:
                    results.append(json.load(f))
        print(table(results))
        return
    if not a.data:
        sys.exit("--data PREPARED_DIR is required (the same for every arm)")
    with open(a.arms) as f:
        spec = json.load(f)
    names = a.only.split(",") if a.only else list(spec["arms"])
    unknown = [n for n in names if n not in spec["arms"]]
    if unknown:
        sys.exit(f"unknown arm(s) {', '.join(unknown)}; the arms are {', '.join(spec['arms'])}")
    os.makedirs(a.out, exist_ok=True)
    # Every arm's speed first, while nothing else runs: the step counts must not depend on what the session
    # does while the arms train.
    for name in names:
        sized_config(spec, name, a.data, a.out, a.steps, a.threads)
    results = []
    for name in names:
        results.append(one_arm(spec, name, a.data, a.out, a.eval_data, a.steps, a.threads))
        with open(os.path.join(a.out, "summary.json"), "w") as f:
            json.dump(results, f, indent=2)
        print(table(results), flush=True)


if __name__ == "__main__":
    main()
