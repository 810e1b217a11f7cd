#!/usr/bin/env bash
# Builds librebalance.so with its CUDA kernels against the CUDA torch wheel on a machine without
# a GPU, and checks what can be checked there:
#   1. a venv $REBALANCE_CUDA_VENV (default .venv-cuda/) with scripts/requirements-cuda.txt
#      (torch 2.14.1 CUDA 13 from the machine's disk, about 5.5 GB);
#   2. configure (scripts/lib/cuda_build.sh, shared with device_check.sh) and build the library
#      target alone into $REBALANCE_CUDA_BUILD_DIR (default build-cuda/), every .cu file (each
#      ends with its CUDA registration) linked in;
#   3. cuobjdump --list-elf: the library holds cubins for $TORCH_CUDA_ARCH_LIST (default 9.0);
#   4. tests/cuda/*.cu: host runs of the kernels' per-element math (nvcc, no GPU);
#   5. in that venv, `import rebalance` loads the library and every op that
#      csrc/rebalance/ops/cuda/*.cu registers has a CUDA kernel in the dispatcher.
# Exit status 0 when all hold; the last line says OK or FAILED and why. JOBS (default 2).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/env.sh"
source "$ROOT/scripts/lib/cuda_build.sh"
CUDA_VENV="${REBALANCE_CUDA_VENV:-$ROOT/.venv-cuda}"
BUILD="${REBALANCE_CUDA_BUILD_DIR:-$ROOT/build-cuda}"
ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
JOBS="${JOBS:-2}"
START=$SECONDS
mkdir -p "$BUILD"

step() { echo "== [$((SECONDS - START)) s] $*"; }
fail() {
  echo "cuda_build_check: FAILED after $((SECONDS - START)) s: $*"
  exit 1
}

step "venv $CUDA_VENV (scripts/requirements-cuda.txt)"
make_venv "$CUDA_VENV" "$ROOT/scripts/requirements-cuda.txt" || fail "pip install into $CUDA_VENV"
CUDA_PY="$CUDA_VENV/bin/python"

step "configure (TORCH_CUDA_ARCH_LIST=$ARCH_LIST)"
cuda_configure_args "$CUDA_PY" "$ARCH_LIST" OFF || fail "$CUDA_ERROR"
printf '   %s\n' "${CUDA_NOTES[@]}"
if ! cmake -S "$ROOT" -B "$BUILD" "${CUDA_CMAKE_ARGS[@]}" >"$BUILD/configure.log" 2>&1; then
  grep -A8 "CMake Error" "$BUILD/configure.log" | head -40
  fail "configure (log: $BUILD/configure.log)"
fi
grep "rebalance: building the CUDA kernels" "$BUILD/configure.log" ||
  fail "configure did not enable the CUDA kernels (log: $BUILD/configure.log)"

step "build librebalance.so ($JOBS jobs)"
t0=$SECONDS
if ! cmake --build "$BUILD" -j "$JOBS" --target rebalance >"$BUILD/build.log" 2>&1; then
  grep -E "error|Error" "$BUILD/build.log" | head -30
  fail "build (log: $BUILD/build.log)"
fi
LIBRARY="$(readlink -f "$BUILD/librebalance.so")"
echo "   built in $((SECONDS - t0)) s: $LIBRARY"

step "cuobjdump --list-elf"
cuda_sm_check "$LIBRARY" "$ARCH_LIST" "$CUDA_PY" ||
  fail "no cubin for TORCH_CUDA_ARCH_LIST=$ARCH_LIST in $LIBRARY; found: $CUDA_SM_FOUND"
echo "   cubins: $CUDA_SM_FOUND"

step "host math checks (tests/cuda/*.cu)"
for src in "$ROOT"/tests/cuda/*.cu; do
  name="$(basename "$src" .cu)"
  "$CUDA_TOOLKIT/bin/nvcc" -std=c++17 -arch=sm_90 -I"$ROOT/csrc" "$src" -o "$BUILD/$name" ||
    fail "nvcc $src"
  "$BUILD/$name" || fail "$name"
done

step "import rebalance and the CUDA dispatch keys"
OPS="$(grep -ho 'm.impl("[A-Za-z_0-9]*"' "$ROOT"/csrc/rebalance/ops/cuda/*.cu | cut -d'"' -f2 |
  sort -u)"
[[ -n "$OPS" ]] || fail "no m.impl in csrc/rebalance/ops/cuda/*.cu"
REBALANCE_LIBRARY="$LIBRARY" PYTHONPATH="$ROOT/plugin/python" "$CUDA_PY" - $OPS <<'EOF' ||
import sys
import torch
import rebalance

assert rebalance.library_path() == __import__("os").environ["REBALANCE_LIBRARY"]
missing = [op for op in sys.argv[1:]
           if not torch._C._dispatch_has_kernel_for_dispatch_key(f"rebalance::{op}", "CUDA")]
for op in sys.argv[1:]:
    print(f"   rebalance::{op}: CUDA kernel {'MISSING' if op in missing else 'registered'}")
# The same library still runs on the CPU (the GPU is absent here).
x = torch.randn(8, 5, requires_grad=True)
rebalance.SoftmaxFocalLoss()(x, torch.randint(0, 5, (8,))).backward()
assert torch.isfinite(x.grad).all()
print(f"   torch {torch.__version__}, cuda available: {torch.cuda.is_available()}")
sys.exit(1 if missing else 0)
EOF
  fail "import rebalance or a CUDA kernel missing from the dispatcher"

echo "cuda_build_check: OK in $((SECONDS - START)) s: $(echo $OPS | wc -w) CUDA ops registered, cubins $CUDA_SM_FOUND"
