#!/usr/bin/env bash
# The main job: on long-tailed Fashion-MNIST (imbalance ratio 100, exponential profile), train
# the same small CNN for the same number of optimizer steps with plain cross-entropy and with
# rebalance's recommended recipe (instance sampling, then square-root sampling with
# effective-number-weighted focal loss at a lower learning rate, driven by PhaseScheduler), and
# print the per-class test comparison. Installs and builds what is missing first
# (scripts/setup.sh). A few minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/env.sh"
bash "$ROOT/scripts/setup.sh"

OUT="${REBALANCE_DEMO_OUT:-$ROOT/results/demo}"
mkdir -p "$OUT"
EPOCHS="${REBALANCE_DEMO_EPOCHS:-8}"
for strategy in ce recommended; do
  echo "== $strategy =="
  "$BUILD_DIR/fmnist_lt" --strategy "$strategy" --epochs "$EPOCHS" --imbalance-ratio 100 \
    --profile exp --seed 0 --json "$OUT/$strategy.json" | tee "$OUT/$strategy.log"
done
"$PY" "$ROOT/scripts/compare_runs.py" "$OUT/ce.json" "$OUT/recommended.json"
