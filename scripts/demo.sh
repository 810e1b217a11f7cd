#!/usr/bin/env bash
# The main job: on long-tailed Fashion-MNIST (imbalance ratio 100, exponential profile), train
# the same small CNN for the same number of optimizer steps with plain cross-entropy and with
# rebalance's class-balanced softmax focal loss, and print the per-class test comparison.
# Installs and builds what is missing first (scripts/setup.sh). A few minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REBALANCE_BUILD_DIR:-$ROOT/build}"
export REBALANCE_BUILD_DIR="$BUILD_DIR"
bash "$ROOT/scripts/setup.sh"

OUT="${REBALANCE_DEMO_OUT:-$ROOT/results/demo}"
mkdir -p "$OUT"
STEPS="${REBALANCE_DEMO_STEPS:-1500}"
for strategy in ce cb_focal; do
  echo "== $strategy =="
  "$BUILD_DIR/fmnist_lt" --strategy "$strategy" --steps "$STEPS" --imbalance-ratio 100 \
    --profile exp --seed 0 --json "$OUT/$strategy.json" | tee "$OUT/$strategy.log"
done
/usr/bin/python3 "$ROOT/scripts/compare_runs.py" "$OUT/ce.json" "$OUT/cb_focal.json"
