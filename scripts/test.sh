#!/usr/bin/env bash
# Installs what is missing and builds (scripts/setup.sh), then runs every test:
#   1. ctest in build/ (GoogleTest, the TorchScript round trip, find_package downstream),
#      against PyTorch 2.13 from pip;
#   2. pytest tests/python in the same venv (torch.ops, TorchScript, the peers);
#   3. scripts/wheel_check.sh: pip wheel ., installed into a fresh venv, smoke test from /;
#   4. scripts/debian_libtorch_check.sh: the C++ library and ctest against Debian's LibTorch;
#   5. scripts/cuda_build_check.sh, where present: the CUDA build links and registers its
#      kernels (no GPU needed).
# REBALANCE_TEST_STEPS selects steps by name (default: "ctest pytest wheel debian cuda").
# Exits non-zero if anything fails.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/env.sh"
STEPS="${REBALANCE_TEST_STEPS:-ctest pytest wheel debian cuda}"
START=$SECONDS
failed=()
summary=()

run_step() {  # name command...
  local name="$1" begin=$SECONDS
  shift
  [[ " $STEPS " == *" $name "* ]] || return 0
  echo "== test.sh: $name"
  if "$@"; then
    summary+=("$name: ok ($((SECONDS - begin)) s)")
  else
    summary+=("$name: FAILED ($((SECONDS - begin)) s)")
    failed+=("$name")
  fi
}

STEPS="setup $STEPS"
run_step setup bash "$ROOT/scripts/setup.sh"
if [[ " ${failed[*]} " == *" setup "* ]]; then echo "test.sh: FAILED (setup)"; exit 1; fi

run_step ctest bash -c "cd '$BUILD_DIR' && ctest --output-on-failure --timeout 900"
run_step pytest "$PY" -m pytest -q -p no:cacheprovider "$ROOT/tests/python"
run_step wheel bash "$ROOT/scripts/wheel_check.sh"
run_step debian bash "$ROOT/scripts/debian_libtorch_check.sh"
# The CUDA check installs the 5.5 GB CUDA torch wheel and compiles the library once more; it
# runs when that wheel is on the machine's disk and the run so far leaves it time
# (REBALANCE_CUDA_CHECK_BUDGET seconds of the run, default 1800: a run stays well inside
# CI's 5400).
if [[ " $STEPS " == *" cuda "* ]]; then
  if ! ls /opt/pypi-more/files/torch-2.14.1-*.whl >/dev/null 2>&1 \
      && [[ "${REBALANCE_CUDA_CHECK_FORCE:-0}" != 1 ]]; then
    summary+=("cuda: skipped (no torch 2.14.1 CUDA wheel on this machine's disk)")
  elif ((SECONDS - START > ${REBALANCE_CUDA_CHECK_BUDGET:-1800})); then
    summary+=("cuda: skipped (the run has taken $((SECONDS - START)) s already)")
  else
    run_step cuda bash "$ROOT/scripts/cuda_build_check.sh"
  fi
fi

echo "== test.sh summary ($((SECONDS - START)) s)"
printf '   %s\n' "${summary[@]}"
if ((${#failed[@]})); then echo "test.sh: FAILED (${failed[*]})"; exit 1; fi
echo "test.sh: all tests passed"
