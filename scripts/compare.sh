#!/usr/bin/env bash
# Runs fmnist_lt strategies and the plain-PyTorch peers (scripts/peers_fmnist_lt.py) over
# several seeds at the same optimizer-step budget and prints a markdown table (mean ± std).
# Usage: compare.sh [SEEDS] [STRATEGY ...]
#   SEEDS defaults to "0 1 2"; strategies default to the baselines, the presets and
#   recommended; PEERS="ce wrs ..." picks peers (default all, "" for none); PY="recommended ..."
#   adds runs of the Python recipe (scripts/train_fmnist_lt.py, default none). Results and the
#   plots of scripts/plot_results.py go to results/compare/. Builds first (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REBALANCE_BUILD_DIR:-$ROOT/build}"
export REBALANCE_BUILD_DIR="$BUILD_DIR"
bash "$ROOT/scripts/setup.sh" >/dev/null
SEEDS="${1:-0 1 2}"
shift || true
STRATEGIES=("$@")
if ((${#STRATEGIES[@]} == 0)); then
  STRATEGIES=(ce weighted_ce focal cb_focal balanced_sampling sqrt_sampling adaptive_sampling
    dynamic_weights undersample_then_finetune drw drs crt dynamic recommended)
fi
OUT="$ROOT/results/compare"
mkdir -p "$OUT"
for seed in $SEEDS; do
  for strategy in "${STRATEGIES[@]}"; do
    "$BUILD_DIR/fmnist_lt" --strategy "$strategy" --seed "$seed" \
      --json "$OUT/${strategy}_${seed}.json" > "$OUT/${strategy}_${seed}.log" 2>&1
    grep '^RESULT' "$OUT/${strategy}_${seed}.log"
  done
done
PEERS="${PEERS-ce weighted_ce wrs tv_focal cb_focal drw us_ft}"
for seed in $SEEDS; do
  for peer in $PEERS; do
    /usr/bin/python3 "$ROOT/scripts/peers_fmnist_lt.py" --strategy "$peer" --seed "$seed" \
      --json "$OUT/peer_${peer}_${seed}.json" > "$OUT/peer_${peer}_${seed}.log" 2>&1
    grep '^RESULT' "$OUT/peer_${peer}_${seed}.log"
  done
done
PY="${PY-}"
for seed in $SEEDS; do
  for strategy in $PY; do
    /usr/bin/python3 "$ROOT/scripts/train_fmnist_lt.py" --strategy "$strategy" --seed "$seed" \
      --json "$OUT/py_${strategy}_${seed}.json" > "$OUT/py_${strategy}_${seed}.log" 2>&1
    grep '^RESULT' "$OUT/py_${strategy}_${seed}.log"
  done
done
files=()
for seed in $SEEDS; do
  for strategy in $PY; do files+=("$OUT/py_${strategy}_${seed}.json"); done
  for strategy in "${STRATEGIES[@]}"; do files+=("$OUT/${strategy}_${seed}.json"); done
  for peer in $PEERS; do files+=("$OUT/peer_${peer}_${seed}.json"); done
done
/usr/bin/python3 "$ROOT/scripts/summarize_runs.py" "${files[@]}"
/usr/bin/python3 "$ROOT/scripts/plot_results.py" "${files[@]}" --out "$OUT/plots"
