#!/usr/bin/env bash
# One visit to a GPU machine: build rebalance's CUDA kernels, test them, benchmark them, and
# bring back everything needed to fix what failed, within one deadline.
#   1. environment: torch, the GPU and its architecture (TORCH_CUDA_ARCH_LIST from the GPU,
#      9.0 without one), nvcc, cmake;
#   2. configure and build librebalance.so (scripts/lib/cuda_build.sh, the configuration that
#      scripts/cuda_build_check.sh also uses: torch's fmt, C++ tests only if GoogleTest is
#      installed), then cuobjdump: cubins for that architecture; stops here if any fails;
#   3. pytest of the CUDA tests (test_cuda_ops*.py, test_sync_free.py);
#   4. scripts/bench_losses.py --device cuda --repeat 5;
#   5. if time is left and GoogleTest is installed: the C++ CudaOps* tests.
# Without a GPU (a dry run) steps 1-3 run (the tests skip) and 4-5 are skipped with the reason.
# Writes $OUT/report.md (counts, first errors, versions, every figure, the build log's tail)
# and the logs to $OUT (default build-device/out). Exit status 0 when nothing failed.
# Env: PYTHON (default python3), BUILD_DIR (default build-device), JOBS (default nproc),
# DEADLINE (seconds for everything, default 480), EXTRA_CMAKE_ARGS.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/cuda_build.sh"
PY="${PYTHON:-python3}"
BUILD="${BUILD_DIR:-$ROOT/build-device}"
JOBS="${JOBS:-$(nproc)}"
DEADLINE="${DEADLINE:-480}"
OUT="${OUT:-$BUILD/out}"
mkdir -p "$BUILD" "$OUT"
REPORT="$OUT/report.md"
BODY="$OUT/.report_body.md"
: >"$BODY"
START=$SECONDS
FAILED=()
SKIPPED=()
FIGURES=()

left() { echo $((DEADLINE - (SECONDS - START))); }
step() { echo "== [$((SECONDS - START)) s] $*"; }
say() { echo "$*" >>"$BODY"; echo "   $*"; }
fail() { FAILED+=("$1"); say "**FAILED**: $1"; }
figure() { FIGURES+=("$1"); }
tail_block() {  # file, lines
  { echo '```'; tail -n "$2" "$1" | cut -c1-300; echo '```'; } >>"$BODY"
}
# within SECONDS CMD...: runs CMD under the smaller of SECONDS and the time left (minus a margin
# to write the report); status 124 on a timeout.
within() {
  local limit="$1" remaining
  shift
  remaining=$(($(left) - 15))
  ((limit > remaining)) && limit=$remaining
  if ((limit < 5)); then echo "(no time left under the ${DEADLINE} s deadline)"; return 124; fi
  timeout --kill-after=5 "$limit" "$@"
}
finish() {
  {
    echo "# rebalance device check"
    echo ""
    echo "**$([[ ${#FAILED[@]} == 0 ]] && echo PASSED || echo "FAILED: ${FAILED[*]}")** in" \
      "$((SECONDS - START)) s of a ${DEADLINE} s deadline ($MODE)."
    echo ""
    ((${#FIGURES[@]})) && { echo "## Figures"; printf -- '- %s\n' "${FIGURES[@]}"; echo ""; }
    ((${#SKIPPED[@]})) && { echo "## Skipped"; printf -- '- %s\n' "${SKIPPED[@]}"; echo ""; }
    cat "$BODY"
  } >"$REPORT"
  rm -f "$BODY"
  echo "device_check: $([[ ${#FAILED[@]} == 0 ]] && echo OK || echo "FAILED (${FAILED[*]})")" \
    "in $((SECONDS - START)) s ($MODE); report: $REPORT"
  [[ ${#FAILED[@]} == 0 ]]
  exit
}

MODE="GPU run"
step "environment"
say "## Environment"
GPU_INFO="$("$PY" - 2>&1 <<'EOF'
import torch
if torch.cuda.is_available():
    major, minor = torch.cuda.get_device_capability()
    print(f"{major}.{minor}", torch.cuda.get_device_name().replace(" ", "_"))
else:
    print("none none")
EOF
)" || { MODE="no torch"; fail "$PY cannot import torch: $(echo "$GPU_INFO" | tail -n 1)"; finish; }
read -r GPU_ARCH GPU_NAME <<<"$(echo "$GPU_INFO" | tail -n 1)"
if [[ "$GPU_ARCH" == none ]]; then
  MODE="dry run, no GPU"
  ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  say "- GPU: none (torch.cuda.is_available() is False): dry run for TORCH_CUDA_ARCH_LIST=$ARCH_LIST"
else
  ARCH_LIST="$GPU_ARCH"
  say "- GPU: ${GPU_NAME//_/ } (compute capability $GPU_ARCH)"
  command -v nvidia-smi >/dev/null &&
    say "- driver: $(nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader | head -n 1)"
fi
say "- python: $("$PY" -c 'import sys; print(sys.version.split()[0])') ($PY), $JOBS jobs"
if ! command -v cmake >/dev/null; then
  CMAKE_BIN="$("$PY" -c 'import cmake; print(cmake.CMAKE_BIN_DIR)' 2>/dev/null)"
  [[ -n "$CMAKE_BIN" ]] && PATH="$CMAKE_BIN:$PATH"
fi
command -v cmake >/dev/null || { fail "no cmake"; finish; }
say "- $(cmake --version | head -n 1), $(c++ --version | head -n 1)"
if ! cuda_configure_args "$PY" "$ARCH_LIST" ON; then fail "$CUDA_ERROR"; finish; fi
for note in "${CUDA_NOTES[@]}"; do say "- $note"; done

say ""
say "## Build"
step "configure (TORCH_CUDA_ARCH_LIST=$ARCH_LIST)"
t0=$SECONDS
# shellcheck disable=SC2086
if ! within 120 cmake -S "$ROOT" -B "$BUILD" "${CUDA_CMAKE_ARGS[@]}" ${EXTRA_CMAKE_ARGS:-} \
    >"$OUT/configure.log" 2>&1; then
  fail "configure"; tail_block "$OUT/configure.log" 40; finish
fi
say "- configured in $((SECONDS - t0)) s: $(grep -o 'building the CUDA kernels.*' "$OUT/configure.log")"

step "build librebalance.so ($JOBS jobs)"
t0=$SECONDS
# Leave about three minutes for the tests and the benchmark.
within $(($(left) - 180)) cmake --build "$BUILD" -j "$JOBS" --target rebalance \
  >"$OUT/build.log" 2>&1
status=$?
if ((status)); then
  fail "build ($( ((status == 124)) && echo "timed out" || echo "status $status"))"
  grep -E "error|Error" "$OUT/build.log" | head -n 30 | cut -c1-300 >>"$BODY"
  tail_block "$OUT/build.log" 25; finish
fi
figure "library build: $((SECONDS - t0)) s with $JOBS jobs"
say "- librebalance.so built in $((SECONDS - t0)) s"
tail_block "$OUT/build.log" 5
if cuda_sm_check "$BUILD/librebalance.so" "$ARCH_LIST" "$PY"; then
  say "- cuobjdump --list-elf: $CUDA_SM_FOUND"
else
  fail "cuobjdump: no cubin for TORCH_CUDA_ARCH_LIST=$ARCH_LIST (found: $CUDA_SM_FOUND)"; finish
fi

export REBALANCE_LIBRARY="$BUILD/librebalance.so" REBALANCE_BUILD_DIR="$BUILD"
export PYTHONPATH="$ROOT/plugin/python${PYTHONPATH:+:$PYTHONPATH}"
say ""
say "## Tests"
TESTS=(tests/python/test_cuda_ops.py tests/python/test_cuda_ops_large.py tests/python/test_sync_free.py)
if "$PY" -c 'import pytest' 2>/dev/null; then
  step "pytest ${TESTS[*]}"
  t0=$SECONDS
  (cd "$ROOT" && within 200 "$PY" -m pytest -q -rfEs --tb=short -p no:cacheprovider \
    "${TESTS[@]}") >"$OUT/pytest.log" 2>&1
  status=$?
  summary="$(tail -n 1 "$OUT/pytest.log")"
  counts=""
  for kind in passed failed skipped error errors; do
    n="$(echo "$summary" | grep -oE "[0-9]+ $kind\b" | cut -d' ' -f1)"
    [[ -n "$n" ]] && counts+="$n ${kind%s}, "
  done
  figure "pytest: ${counts%, } in $((SECONDS - t0)) s"
  say "- pytest (status $status): $summary"
  ((status == 124)) && fail "pytest timed out"
  ((status != 0 && status != 124)) && fail "pytest"
  if grep -qE "^(FAILED|ERROR) " "$OUT/pytest.log"; then
    say "- first failures:"
    grep -E "^(FAILED|ERROR) " "$OUT/pytest.log" | head -n 20 | cut -c1-400 >>"$BODY"
    grep -E "^E   " "$OUT/pytest.log" | head -n 30 | cut -c1-300 >>"$BODY"
  fi
  if grep -q "^SKIPPED" "$OUT/pytest.log"; then
    say "- skip reasons (tests per reason):"
    grep "^SKIPPED" "$OUT/pytest.log" | sed -E 's/^SKIPPED \[([0-9]+)\] [^:]+:[0-9]+: /\1 /' |
      awk '{n = $1; $1 = ""; count[$0] += n} END {for (r in count) print "  -", count[r], r}' |
      head -n 8 >>"$BODY"
  fi
else
  SKIPPED+=("pytest: not installed for $PY")
fi

say ""
say "## Benchmark: scripts/bench_losses.py --device cuda --repeat 5"
if [[ "$GPU_ARCH" == none ]]; then
  SKIPPED+=("benchmark: no GPU (dry run)")
  say "- skipped: no GPU"
else
  step "benchmark"
  t0=$SECONDS
  if within 120 "$PY" "$ROOT/scripts/bench_losses.py" --device cuda --repeat 5 \
      >"$OUT/bench.log" 2>&1; then
    cat "$OUT/bench.log" >>"$BODY"
    figure "benchmark: $((SECONDS - t0)) s (table under Benchmark)"
  else
    fail "bench_losses.py"; tail_block "$OUT/bench.log" 30
  fi
fi

say ""
say "## C++ CudaOps* tests"
if [[ "$GPU_ARCH" == none ]]; then
  SKIPPED+=("C++ CudaOps* tests: no GPU (dry run)")
  say "- skipped: no GPU"
elif [[ "$CUDA_TESTS" != ON ]]; then
  SKIPPED+=("C++ CudaOps* tests: GoogleTest not installed")
  say "- skipped: GoogleTest not installed"
elif (($(left) < 150)); then
  SKIPPED+=("C++ CudaOps* tests: $(left) s left, too little to build the test binary")
  say "- skipped: $(left) s left"
else
  step "build and run the C++ CudaOps* tests"
  t0=$SECONDS
  if within $(($(left) - 40)) cmake --build "$BUILD" -j "$JOBS" --target rebalance_tests \
      >"$OUT/build_tests.log" 2>&1; then
    within 60 "$BUILD/tests/cpp/rebalance_tests" --gtest_filter='CudaOps*' \
      >"$OUT/gtest.log" 2>&1 || fail "gtest CudaOps*"
    figure "gtest CudaOps*: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test' \
      "$OUT/gtest.log" | tr '\n' ' ') (build and run $((SECONDS - t0)) s)"
    grep -E "^\[  FAILED  \]|Failure" "$OUT/gtest.log" | head -n 10 >>"$BODY"
  else
    fail "build of rebalance_tests"; tail_block "$OUT/build_tests.log" 20
  fi
fi
finish
