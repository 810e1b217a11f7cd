#!/usr/bin/env bash
# Runs fmnist_lt strategies and the plain-PyTorch peers (scripts/peers_fmnist_lt.py) over
# several seeds at the same optimizer-step budget and prints a markdown table (mean ± std).
# Usage: compare.sh [SEEDS] [STRATEGY ...]
#   SEEDS defaults to "0 1 2"; strategies default to the baselines, the presets, recommended
#   and the literature baselines (logit_adjusted, balanced_softmax, ldam_drw); PEERS="ce wrs ..."
#   picks peers (default all, "" for none); PY="recommended ..." adds runs of the Python recipe
#   (scripts/train_fmnist_lt.py, default none). PROFILE=exp|step picks the class counts (exp:
#   10 classes from 5000 down to 50; step: 5 classes at 5000, 5 at 50). UPPER=1 (default) adds
#   the row balanced_upper_bound: cross-entropy on as many train images as the profile has, split
#   equally over the classes, at the same step budget ("" to skip). THREADS (default 1) is each
#   run's --threads (the peers' default). Results and the plots of
#   scripts/plot_results.py go to results/compare/ (exp) or results/compare_$PROFILE/. Builds
#   first (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY_STRATEGIES="${PY-}"  # read before env.sh sets PY to the venv's interpreter
source "$ROOT/scripts/lib/env.sh"
bash "$ROOT/scripts/setup.sh" >/dev/null
SEEDS="${1:-0 1 2}"
shift || true
STRATEGIES=("$@")
if ((${#STRATEGIES[@]} == 0)); then
  STRATEGIES=(ce weighted_ce focal cb_focal balanced_sampling sqrt_sampling adaptive_sampling
    dynamic_weights undersample_then_finetune drw drs crt dynamic recommended logit_adjusted
    balanced_softmax ldam_drw)
fi
PROFILE="${PROFILE:-exp}"
case "$PROFILE" in
  exp) OUT="$ROOT/results/compare"; BALANCED=balanced ;;
  step) OUT="$ROOT/results/compare_step"; BALANCED=balanced_step ;;
  *) echo "compare.sh: PROFILE must be exp or step, got $PROFILE" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
PEERS="${PEERS-ce weighted_ce wrs tv_focal cb_focal drw us_ft}"
UPPER="${UPPER-1}"
THREADS="${THREADS:-1}"
files=()
# run NAME SEED COMMAND...: one run into $OUT/NAME_SEED.{json,log}; prints its RESULT line.
run() {
  local name="$1" seed="$2"
  shift 2
  "$@" --seed "$seed" --json "$OUT/${name}_${seed}.json" > "$OUT/${name}_${seed}.log" 2>&1
  grep '^RESULT' "$OUT/${name}_${seed}.log"
  files+=("$OUT/${name}_${seed}.json")
}
for seed in $SEEDS; do
  for strategy in "${STRATEGIES[@]}"; do
    run "$strategy" "$seed" "$BUILD_DIR/fmnist_lt" --strategy "$strategy" --profile "$PROFILE" \
      --threads "$THREADS"
  done
  if [[ -n "$UPPER" ]]; then
    run balanced_upper_bound "$seed" "$BUILD_DIR/fmnist_lt" --strategy ce --profile "$BALANCED" \
      --label balanced_upper_bound --threads "$THREADS"
  fi
  for peer in $PEERS; do
    run "peer_$peer" "$seed" "$VENV/bin/python" "$ROOT/scripts/peers_fmnist_lt.py" \
      --strategy "$peer" --profile "$PROFILE" --threads "$THREADS"
  done
  for strategy in $PY_STRATEGIES; do
    run "py_$strategy" "$seed" "$VENV/bin/python" "$ROOT/scripts/train_fmnist_lt.py" \
      --strategy "$strategy" --profile "$PROFILE" --threads "$THREADS"
  done
done
"$VENV/bin/python" "$ROOT/scripts/summarize_runs.py" "${files[@]}"
"$VENV/bin/python" "$ROOT/scripts/plot_results.py" "${files[@]}" --out "$OUT/plots"
