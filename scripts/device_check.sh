#!/usr/bin/env bash
# GPU check of rebalance's CUDA kernels, for a machine with a GPU and a CUDA PyTorch 2.x but no
# network. Configures and builds librebalance.so with REBALANCE_CUDA=ON against that PyTorch
# (python3 -c 'import torch;print(torch.utils.cmake_prefix_path)'), runs the CUDA tests
# (pytest tests/python/test_cuda_ops.py, gtest 'CudaOps*') and
# scripts/bench_losses.py --device cuda, and writes a short report to $OUT/report.md
# ($OUT set) or stdout. What is missing (fmt, GoogleTest, pytest, torchvision) is detected and
# skipped or replaced, and the report says so. Needs nvcc (CUDA toolkit) and CMake >= 3.18.
# Env: PYTHON (default python3), BUILD_DIR (default build-device), JOBS (default nproc),
# EXTRA_CMAKE_ARGS (appended to the configure command).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
BUILD="${BUILD_DIR:-$ROOT/build-device}"
JOBS="${JOBS:-$(nproc)}"
LOGS="$BUILD/device_check_logs"
REPORT="${OUT:+$OUT/report.md}"
REPORT="${REPORT:-$BUILD/device_check_report.md}"
mkdir -p "$BUILD" "$LOGS" "$(dirname "$REPORT")"
: >"$REPORT"
START=$SECONDS
status=0

step() { echo "== [$((SECONDS - START)) s] $*"; }
say() { echo "$*" | tee -a "$REPORT" >/dev/null; echo "   $*"; }
fail() { say "**FAILED**: $*"; status=1; }
finish() {
  say ""
  say "Total $((SECONDS - START)) s; status $([ $status = 0 ] && echo ok || echo FAILED)."
  [ -z "${OUT:-}" ] && cat "$REPORT"
  exit $status
}
tail_to_report() {  # file, lines
  { echo '```'; tail -n "$2" "$1"; echo '```'; } >>"$REPORT"
}

say "# rebalance device check"
say ""
step "environment"
if ! "$PY" -c 'import torch' 2>/dev/null; then
  fail "$PY cannot import torch"; finish
fi
read -r TORCH_VERSION TORCH_CUDA CUDA_OK TORCH_PREFIX ABI ARCH GPU < <("$PY" - <<'EOF'
import torch
ok = torch.cuda.is_available()
cap = torch.cuda.get_device_capability() if ok else (0, 0)
name = torch.cuda.get_device_name().replace(" ", "_") if ok else "none"
print(torch.__version__, torch.version.cuda, int(ok), torch.utils.cmake_prefix_path,
      int(torch.compiled_with_cxx11_abi()), f"{cap[0]}{cap[1]}", name)
EOF
)
say "- torch $TORCH_VERSION (CUDA $TORCH_CUDA, C++11 ABI $ABI), GPU ${GPU//_/ } (sm_$ARCH), $JOBS jobs"
if [ "$CUDA_OK" != 1 ]; then fail "torch.cuda.is_available() is False"; finish; fi

NVCC=""
for cand in "$(command -v nvcc 2>/dev/null)" "${CUDA_HOME:-}/bin/nvcc" "${CUDA_PATH:-}/bin/nvcc" \
    "$("$PY" -c 'from torch.utils.cpp_extension import CUDA_HOME; print(CUDA_HOME or "")' \
       2>/dev/null)/bin/nvcc" \
    "$("$PY" -c 'import nvidia.cuda_nvcc as m, os; print(os.path.dirname(m.__file__))' \
       2>/dev/null)/bin/nvcc" \
    /usr/local/cuda/bin/nvcc; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then NVCC="$cand"; break; fi
done
if [ -z "$NVCC" ]; then
  fail "no nvcc found (PATH, CUDA_HOME, torch's CUDA_HOME, nvidia-cuda-nvcc, /usr/local/cuda): the CUDA kernels cannot be built here"
  finish
fi
NVCC_VERSION="$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
say "- nvcc $NVCC_VERSION ($NVCC)"
if [ "${NVCC_VERSION%%.*}" != "${TORCH_CUDA%%.*}" ]; then
  say "- warning: nvcc major version differs from torch's CUDA $TORCH_CUDA (the driver must support both)"
fi
if ! command -v cmake >/dev/null; then
  CMAKE_BIN="$("$PY" -c 'import cmake, os; print(os.path.join(cmake.CMAKE_BIN_DIR))' 2>/dev/null)"
  [ -n "$CMAKE_BIN" ] && PATH="$CMAKE_BIN:$PATH"
fi
if ! command -v cmake >/dev/null; then fail "no cmake"; finish; fi
say "- $(cmake --version | head -1)"

# Options: examples are never needed here; fmt and GoogleTest are probed.
OPTS=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX" -DREBALANCE_CUDA=ON
      "-DCMAKE_CUDA_COMPILER=$NVCC" "-DCMAKE_CUDA_ARCHITECTURES=$ARCH"
      "-DCUDAToolkit_ROOT=$(dirname "$(dirname "$NVCC")")" -DREBALANCE_BUILD_EXAMPLES=OFF)
SKIPPED=("C++ examples (not needed for the CUDA checks)")
TORCH_INCLUDE="$("$PY" -c 'import torch.utils.cpp_extension as c; print(c.include_paths()[0])')"
header_fmt() {  # a directory holding fmt/format.h for the header-only fallback
  for d in "$TORCH_INCLUDE" /usr/include /usr/local/include; do
    [ -f "$d/fmt/format.h" ] && { echo "$d"; return; }
  done
}
if [ ! -f "$TORCH_INCLUDE/c10/cuda/impl/cuda_cmake_macros.h" ]; then
  # Only C10_CUDA_BUILD_SHARED_LIBS (a Windows export macro) lives there.
  OPTS+=("-DCMAKE_CUDA_FLAGS=-DC10_CUDA_NO_CMAKE_CONFIGURE_FILE")
  say "- torch lacks c10/cuda/impl/cuda_cmake_macros.h: building with C10_CUDA_NO_CMAKE_CONFIGURE_FILE"
fi
TESTS=ON
if [ "$ABI" = 0 ]; then
  # Libraries from the system (fmt, gtest) use the C++11 ABI; this torch does not.
  FMT_DIR="$(header_fmt)"
  [ -n "$FMT_DIR" ] && OPTS+=("-DREBALANCE_FMT_INCLUDE_DIR=$FMT_DIR")
  TESTS=OFF
  SKIPPED+=("GoogleTest (torch uses the pre-C++11 ABI, the system gtest does not)")
fi

configure() {
  # shellcheck disable=SC2086
  cmake -S "$ROOT" -B "$BUILD" "${OPTS[@]}" -DREBALANCE_BUILD_TESTS=$TESTS \
    ${EXTRA_CMAKE_ARGS:-} >"$LOGS/configure.log" 2>&1
}
step "configure (REBALANCE_CUDA=ON, sm_$ARCH)"
for attempt in 1 2 3; do
  if configure; then break; fi
  if grep -q "fmt" "$LOGS/configure.log" && ! printf '%s\n' "${OPTS[@]}" | grep -q FMT_INCLUDE; then
    FMT_DIR="$(header_fmt)"
    if [ -z "$FMT_DIR" ]; then fail "no fmt package and no fmt headers"; tail_to_report "$LOGS/configure.log" 30; finish; fi
    OPTS+=("-DREBALANCE_FMT_INCLUDE_DIR=$FMT_DIR")
    say "- fmt: no CMake package; header-only fmt from $FMT_DIR"
  elif grep -qi "gtest" "$LOGS/configure.log" && [ $TESTS = ON ]; then
    TESTS=OFF
    SKIPPED+=("GoogleTest suite CudaOps* (GoogleTest not installed)")
  else
    fail "configure"; tail_to_report "$LOGS/configure.log" 40; finish
  fi
  rm -f "$BUILD/CMakeCache.txt"
  if [ $attempt = 3 ]; then fail "configure"; tail_to_report "$LOGS/configure.log" 40; finish; fi
done
grep "rebalance: building the CUDA kernels" "$LOGS/configure.log" | sed 's/^-- /- /' >>"$REPORT"

step "build librebalance.so ($JOBS jobs)"
TARGETS=(--target rebalance)
[ $TESTS = ON ] && TARGETS+=(--target rebalance_tests)
t0=$SECONDS
if ! timeout 360 cmake --build "$BUILD" -j "$JOBS" "${TARGETS[@]}" >"$LOGS/build.log" 2>&1; then
  fail "build"; grep -E "error|Error" "$LOGS/build.log" | head -30 >>"$REPORT"
  tail_to_report "$LOGS/build.log" 20; finish
fi
say "- built in $((SECONDS - t0)) s ($([ $TESTS = ON ] && echo 'library and gtest binary' || echo library))"

export REBALANCE_BUILD_DIR="$BUILD"
export PYTHONPATH="$ROOT/plugin/python${PYTHONPATH:+:$PYTHONPATH}"
say ""
say "## Tests"
if "$PY" -c 'import pytest' 2>/dev/null; then
  step "pytest tests/python/test_cuda_ops.py"
  (cd "$ROOT" && timeout 150 "$PY" -m pytest -q -rs -p no:cacheprovider \
    tests/python/test_cuda_ops.py) >"$LOGS/pytest.log" 2>&1 || fail "pytest test_cuda_ops.py"
  say "- pytest: $(tail -n 1 "$LOGS/pytest.log")"
  grep -q " passed" "$LOGS/pytest.log" || fail "pytest ran no test (see the skip reasons below)"
  grep -E "^(FAILED|ERROR)|^E  " "$LOGS/pytest.log" | head -30 >>"$REPORT"
  grep -E "^SKIPPED" "$LOGS/pytest.log" | head -3 >>"$REPORT"
else
  SKIPPED+=("pytest (not installed): ran a smoke comparison instead")
  step "smoke comparison (no pytest)"
  timeout 120 "$PY" - >"$LOGS/smoke.log" 2>&1 <<'EOF' || fail "smoke comparison"
import torch, rebalance  # noqa: F401
ops = torch.ops.rebalance
torch.manual_seed(0)
for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
    x = torch.randn(300, 37).to(dtype); t = (torch.rand(300, 37) > 0.8).to(dtype)
    y = torch.randint(0, 37, (300,)); y[::7] = -100
    for name, fn in [("sigmoid", lambda z, d: ops.sigmoid_focal_loss(z, t.to(d), 0.25, 2.0, None, "mean")),
                     ("softmax", lambda z, d: ops.softmax_focal_loss(z, y.to(d), 2.0, None, "mean", -100, 0.1))]:
        res = []
        for d in ("cpu", "cuda"):
            z = x.to(d).requires_grad_(True); v = fn(z, d); v.backward()
            res.append((v.detach().cpu().double(), z.grad.cpu().double()))
        tol = 1e-9 if dtype == torch.float64 else 2e-2
        ok = all(torch.allclose(a, b, rtol=tol, atol=tol) for a, b in zip(*res))
        print(f"{name} {dtype}: {'ok' if ok else 'MISMATCH'}"); assert ok
    cm = [ops.confusion_matrix(x.to(d), y.to(d), 37, -100).cpu() for d in ("cpu", "cuda")]
    assert torch.equal(*cm); print(f"confusion_matrix {dtype}: ok")
EOF
  say "- smoke: $(grep -c ok "$LOGS/smoke.log") comparisons ok"
  tail_to_report "$LOGS/smoke.log" 15
fi
if [ $TESTS = ON ]; then
  step "gtest CudaOps*"
  timeout 120 "$BUILD/tests/cpp/rebalance_tests" --gtest_filter='CudaOps*' \
    >"$LOGS/gtest.log" 2>&1 || fail "gtest CudaOps*"
  say "- gtest: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test' "$LOGS/gtest.log" | tr '\n' ' ')"
  grep -qE '^\[  PASSED  \] [1-9]' "$LOGS/gtest.log" || fail "gtest CudaOps* passed no test"
  grep -E "^\[  FAILED  \]|Failure" "$LOGS/gtest.log" | head -10 >>"$REPORT"
fi

say ""
say "## Benchmark: scripts/bench_losses.py --device cuda"
step "benchmark"
if timeout 150 "$PY" "$ROOT/scripts/bench_losses.py" --device cuda --repeat 20 \
    >"$LOGS/bench.log" 2>&1; then
  cat "$LOGS/bench.log" >>"$REPORT"
else
  fail "bench_losses.py"; tail_to_report "$LOGS/bench.log" 30
fi

say ""
say "## Skipped"
for s in "${SKIPPED[@]}"; do say "- $s"; done
finish
