"""Record the test-split evaluation of a package in its manifest (provenance.evaluation), from `diffuseq eval`
reports, so that the model card's numbers and the manifest's come from the same files.

    python3 src/trainer/python/tools/record_evaluation.py --model models/default \\
        --paraphrase runs/eval/qqp-test.json --simplify runs/eval/asset-test.json \\
        [--prose wmt=runs/eval/wmt-test.json --prose mrpc=runs/eval/mrpc-test.json] \\
        [--latency-ms 278 --latency-p95-ms 284 --latency-command "node out/bench/speed.js …"] \\
        [--machine "2-core Intel Xeon VM (AMX)"]

The reports are `diffuseq eval … --json` or `--out` files. Numbers are rounded to 4 decimals.
"""

import argparse
import datetime
import json
import os

COMMAND = "npx diffuseq eval --task T --data ../shared/data/{qqp,asset}/test.jsonl --candidates 10 --steps 10"
PARTS = ("mbr", "single", "copy", "diversity")


def rounded(d):
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def summary(report_path):
    with open(report_path) as f:
        r = json.load(f)
    data = r["data"]
    i = data.find("shared/data/")
    out = {"data": data[i:] if i >= 0 else os.path.basename(data), "examples": r["examples"], "options": r["options"]}
    out.update({p: rounded(r[p]) for p in PARTS if p in r})
    out["msPerSentence"] = round(r["timing"]["msPerSentence"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--paraphrase", required=True, help="eval report on qqp/test.jsonl")
    ap.add_argument("--simplify", required=True, help="eval report on asset/test.jsonl")
    ap.add_argument(
        "--prose",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="eval report of a prose paraphrase split (wmt/test, mrpc/test), recorded under evaluation.prose.NAME",
    )
    ap.add_argument("--latency-ms", type=float)
    ap.add_argument("--latency-p95-ms", type=float)
    ap.add_argument("--latency-command")
    ap.add_argument("--machine", default="2-core Intel Xeon VM (AMX), onnxruntime-node CPU")
    a = ap.parse_args()
    path = os.path.join(a.model, "manifest.json")
    with open(path) as f:
        m = json.load(f)
    ev = {
        "command": COMMAND,
        "measuredAt": datetime.date.today().isoformat(),
        "machine": a.machine,
        "paraphrase": summary(a.paraphrase),
        "simplify": summary(a.simplify),
    }
    for spec in a.prose:
        name, sep, report = spec.partition("=")
        if not sep or not name or not report:
            ap.error(f"--prose wants NAME=FILE, not {spec!r}")
        ev.setdefault("prose", {})[name] = summary(report)
    if a.latency_ms is not None:
        ev["latency"] = {"command": a.latency_command, "medianMs": a.latency_ms, "p95Ms": a.latency_p95_ms}
    m.setdefault("provenance", {})["evaluation"] = ev
    with open(path, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    print(
        json.dumps(
            {k: ev[k]["mbr"] for k in ("paraphrase", "simplify")}
            | {k: v["mbr"] for k, v in ev.get("prose", {}).items()}
        )
    )


if __name__ == "__main__":
    main()
