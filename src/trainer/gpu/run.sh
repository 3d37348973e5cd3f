#!/usr/bin/env bash
# Takes a training run through a rented GPU machine whose commands may last ~10 minutes each and whose
# files come back in pieces of at most 16 MiB (docs/training.md, "Training on a rented GPU").
#
#   run.sh start  NAME CONFIG DATA MINUTES [RESUME]  launch detached (setsid): survives the command that started it
#   run.sh poll   NAME...                            last progress lines of each run, and GPU memory
#   run.sh wait   SECONDS NAME...                    poll every 20 s until every run is done or SECONDS pass
#   run.sh collect NAME OUTDIR                       weights-only checkpoint, split into < 16 MiB parts, + logs
#
# Runs live in /tmp/diffuseq-runs/NAME. Join the parts again with `cat weights.pt.part* > weights.pt`.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../.." && pwd)
export PYTHONPATH="$here/src/trainer/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
runs=/tmp/diffuseq-runs
py=${DIFFUSEQ_PYTHON:-python3}

cmd=${1:?usage: run.sh start|poll|wait|collect ...}; shift
case "$cmd" in
  start)
    name=$1 config=$2 data=$3 minutes=$4 resume=${5:-}
    dir="$runs/$name"; mkdir -p "$dir"
    args=(--config "$config" --data "$data" --out "$dir" --max-minutes "$minutes")
    [ -n "$resume" ] && args+=(--resume "$resume")
    setsid nohup "$py" -m diffuseq_trainer.train "${args[@]}" >"$dir/progress.jsonl" 2>"$dir/stderr.log" </dev/null &
    echo "started $name (pid $!) -> $dir"
    ;;
  poll)
    for name in "$@"; do
      echo "== $name"; tail -n 2 "$runs/$name/progress.jsonl" 2>/dev/null || true
      tail -n 3 "$runs/$name/stderr.log" 2>/dev/null || true
    done
    nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader 2>/dev/null || true
    ;;
  wait)
    limit=$1; shift; t0=$SECONDS
    while (( SECONDS - t0 < limit )); do
      pending=0
      for name in "$@"; do
        grep -q '"event": *"\(done\|error\)"' "$runs/$name/progress.jsonl" 2>/dev/null || pending=1
      done
      (( pending == 0 )) && break
      sleep 20
      for name in "$@"; do echo "$name: $(grep '"event": *"step"' "$runs/$name/progress.jsonl" 2>/dev/null | tail -n 1)"; done
    done
    "$0" poll "$@"
    ;;
  collect)
    name=$1 out=$2; dir="$runs/$name"; mkdir -p "$out"
    split -b 15m -d "$dir/weights.pt" "$out/$name.weights.pt.part"
    cp "$dir/progress.jsonl" "$out/$name.progress.jsonl"
    tail -c 200000 "$dir/stderr.log" >"$out/$name.stderr.log" || true
    ls -la "$out"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
