"""Evaluate a recipe arm's package through the engine, the same way for every arm, and print its table rows.

    python3 src/trainer/python/tools/arm_eval.py --model runs/recipe40/ARM/pkg --out runs/recipe40/ARM/eval \\
        [--no-word-list] [--label ARM]

Seven runs of `diffuseq eval` (10 candidates, 10 steps, MBR, seed 0): the first 200 of qqp/valid, wmt/valid and
mrpc/valid and the first 100 of asset/valid through the engine's rounding; the three paraphrase splits again with
`--unconstrained` (the raw argmax, before any decoding constraint: its invented-word share is the model's own, and
its oracle of 10 shows the candidates' headroom). Each report is kept as OUT/NAME.json (`--out`, every output).

--no-word-list runs the first four on a copy of the package without its word list (OUT/pkg-no-words): rounding is
then the plain argmax with repeated words collapsed, as for the control `small-batch64`, whose package predates word
lists. The unconstrained runs always use the package itself (the raw argmax does not read the word list; the
invented-word share needs it).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
CLI = ["node", os.path.join(ROOT, "bin", "diffuseq.js")]
DATA = os.environ.get("DIFFUSEQ_DATA", os.path.join(ROOT, "..", "shared", "data"))

# name, task, dataset, limit, extra flags
RUNS = [
    ("qqp", "paraphrase", "qqp", 200, []),
    ("wmt", "paraphrase", "wmt", 200, []),
    ("mrpc", "paraphrase", "mrpc", 200, []),
    ("asset", "simplify", "asset", 100, []),
    ("qqp-unconstrained", "paraphrase", "qqp", 200, ["--unconstrained"]),
    ("wmt-unconstrained", "paraphrase", "wmt", 200, ["--unconstrained"]),
    ("mrpc-unconstrained", "paraphrase", "mrpc", 200, ["--unconstrained"]),
]


def without_word_list(pkg, dest):
    """A copy of pkg whose manifest names no word list (the engine then rounds with the plain argmax)."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    shutil.copytree(pkg, dest)
    with open(os.path.join(dest, "manifest.json")) as f:
        manifest = json.load(f)
    words = manifest.get("files", {}).pop("words", None)
    if words:
        os.remove(os.path.join(dest, words))
    with open(os.path.join(dest, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return dest


def evaluate(pkg, out_dir, name, task, dataset, limit, extra):
    report = os.path.join(out_dir, f"{name}.json")
    if not os.path.exists(report):
        cmd = CLI + ["eval", "--model", pkg, "--task", task, "--data", os.path.join(DATA, dataset, "valid.jsonl")]
        cmd += ["--limit", str(limit), "--candidates", "10", "--steps", "10", "--seed", "0", "--out", report] + extra
        print("$", " ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(report) as f:
        return json.load(f)


def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


def rows(label, reports):
    """Markdown rows: one per run, BLEU / iBLEU / ROUGE-L / unchanged / oracle / invented and repeated (MBR) / SARI."""
    out = []
    for name, r in reports.items():
        m, w = r["mbr"], r.get("words", {})
        sari = f"SARI {m['sari']:.2f}" if "sari" in m else ""
        out.append(
            f"| {label} | {name} | {m['bleu']:.4f} | {m['ibleu']:.4f} | {m['rougeL']:.3f} "
            f"| {pct(m['identicalToInput'])} "
            f"| {r.get('oracle', {}).get('bleu', float('nan')):.3f} | {pct(w.get('inventedMbr', 0))} "
            f"| {pct(w.get('repeatedMbr', 0))} | {sari} |"
        )
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-word-list", action="store_true")
    ap.add_argument("--label", default=None)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    pkg = without_word_list(a.model, os.path.join(a.out, "pkg-no-words")) if a.no_word_list else a.model
    reports = {
        name: evaluate(a.model if "--unconstrained" in rest[-1] else pkg, a.out, name, *rest) for name, *rest in RUNS
    }
    print("| arm | split | BLEU | iBLEU | ROUGE-L | unchanged | oracle of 10 | invented (MBR) | repeated (MBR) | |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows(a.label or os.path.basename(os.path.dirname(os.path.abspath(a.model))), reports)))


if __name__ == "__main__":
    main()
