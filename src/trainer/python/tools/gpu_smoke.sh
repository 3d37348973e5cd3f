#!/usr/bin/env bash
# GPU smoke test of the trainer (run from the repo root on a CUDA machine):
#   bash src/trainer/python/tools/gpu_smoke.sh runs/prep-full [OUTDIR]
# 1) default config 2 min, 2) resume 1 min, 3) batch 1024 throughput, 4) self-conditioning + export + ORT parity.
set -u
DATA=${1:-runs/prep-full}; O=${2:-/tmp/smoke}; mkdir -p "$O"
export PYTHONPATH=src/trainer/python
PY=${PYTHON:-python3}
C=src/trainer/configs/default.json
last() { grep -v '"start"' "$1" | tail -n "${2:-3}" | cut -c1-260; }
$PY -m diffuseq_trainer.train --config $C --data "$DATA" --out $O/r --max-minutes 2 > $O/a.jsonl 2> $O/a.err; echo "run1 rc=$?"; last $O/a.jsonl 4
$PY -m diffuseq_trainer.train --config $C --data "$DATA" --out $O/r --resume $O/r/ckpt.pt --max-minutes 1 > $O/b.jsonl 2> $O/b.err; echo "resume rc=$?"; head -c 300 $O/b.err | grep -i resum; grep '"step"' $O/b.jsonl | head -1 | cut -c1-200; last $O/b.jsonl 3
$PY - "$C" $O/b1024.json $O/sc.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["train"].update(batchSize=1024, lr=7e-4); json.dump(c, open(sys.argv[2], "w"))
c = json.load(open(sys.argv[1])); c["diffusion"]["selfConditioning"] = True; json.dump(c, open(sys.argv[3], "w"))
PY
$PY -m diffuseq_trainer.train --config $O/b1024.json --data "$DATA" --out $O/big --max-minutes 1.5 > $O/c.jsonl 2> $O/c.err; echo "b1024 rc=$?"; last $O/c.jsonl 4
$PY -m diffuseq_trainer.train --config $O/sc.json --data "$DATA" --out $O/sc --max-minutes 1.5 > $O/d.jsonl 2> $O/d.err; echo "selfcond rc=$?"; last $O/d.jsonl 3
$PY -m diffuseq_trainer.export --checkpoint $O/sc/weights.pt --out $O/pkg-sc > $O/e.out 2> $O/e.err; echo "export rc=$?"
$PY -m diffuseq_trainer.check_parity $O/pkg-sc --threads 2 --length 64 | tail -1
for f in a b c d; do grep -i -E "error|Traceback" $O/$f.err | head -3; done
