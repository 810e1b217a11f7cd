# Sourced by scripts/cuda_build_check.sh and scripts/device_check.sh: the one configuration of
# the CUDA build of librebalance.so against the torch of a Python environment, decided before
# CMake runs so that a configure never has to be repeated.
#
# cuda_configure_args PY ARCH_LIST TESTS
#   PY: the interpreter whose torch (a CUDA build) is built against; ARCH_LIST: the value of
#   TORCH_CUDA_ARCH_LIST (PyTorch's CMake ignores CMAKE_CUDA_ARCHITECTURES), e.g. 9.0;
#   TESTS: ON to build the GoogleTest binary when GoogleTest is installed, OFF never.
#   Sets CUDA_CMAKE_ARGS (the configure arguments), CUDA_NOTES (one line per decision, for a
#   report), CUDA_TOOLKIT (the toolkit root), CUDA_TESTS (ON/OFF as decided), and CUDA_ERROR
#   with a non-zero status when something required is missing.
#
# cuda_sm_check LIBRARY ARCH_LIST PY
#   Lists the cubins in LIBRARY (cuobjdump --list-elf; the toolkit's, or the one in the triton
#   wheel that CUDA torch wheels install) and checks there is one per architecture in
#   ARCH_LIST. Sets CUDA_SM_FOUND (the sm_XX found); non-zero status otherwise.

cuda_configure_args() {
  local py="$1" arch_list="$2" tests="$3"
  [[ "$py" == */* ]] || py="$(command -v "$py")"  # an absolute path for CMake
  py="$(cd "$(dirname "$py")" && pwd)/$(basename "$py")"
  CUDA_CMAKE_ARGS=()
  CUDA_NOTES=()
  CUDA_ERROR=""
  CUDA_TESTS=OFF
  local info
  if ! info="$("$py" - 2>"${TMPDIR:-/tmp}/rebalance_torch_probe.err" <<'EOF'
import os, torch
import torch.utils.cpp_extension as ext
site = os.path.dirname(os.path.dirname(torch.__file__))
print(torch.__version__, torch.version.cuda or "none", os.path.dirname(torch.__file__),
      ext.include_paths()[0], site, ext.CUDA_HOME or "")
EOF
)"; then
    CUDA_ERROR="$py cannot import torch: $(tail -n 1 "${TMPDIR:-/tmp}/rebalance_torch_probe.err")"
    return 1
  fi
  local torch_version torch_cuda prefix include site torch_cuda_home
  read -r torch_version torch_cuda prefix include site torch_cuda_home <<<"$info"
  if [[ "$torch_cuda" == none ]]; then
    CUDA_ERROR="torch $torch_version in $py is a CPU build (torch.version.cuda is None)"
    return 1
  fi
  CUDA_NOTES+=("torch $torch_version (CUDA $torch_cuda) from $prefix")

  # nvcc: $CUDACXX, PATH, $CUDA_HOME, torch's CUDA_HOME, /usr/local/cuda, the nvcc wheel.
  local nvcc="" cand
  for cand in "${CUDACXX:-}" "$(command -v nvcc 2>/dev/null)" "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" \
      "${torch_cuda_home:+$torch_cuda_home/bin/nvcc}" /usr/local/cuda/bin/nvcc \
      "$site/nvidia/cu${torch_cuda%%.*}/bin/nvcc" "$site/nvidia/cuda_nvcc/bin/nvcc"; do
    if [[ -n "$cand" && -x "$cand" ]]; then nvcc="$cand"; break; fi
  done
  if [[ -z "$nvcc" ]]; then
    CUDA_ERROR="no nvcc (CUDACXX, PATH, CUDA_HOME, torch's CUDA_HOME, /usr/local/cuda, nvidia wheels)"
    return 1
  fi
  # The real toolkit, also when the nvcc found is a wrapper script or a symlink.
  local top
  top="$("$nvcc" --dryrun -c -x cu /dev/null -o /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p')"
  CUDA_TOOLKIT="$(readlink -f "${top:-$(dirname "$(readlink -f "$nvcc")")/..}")"
  nvcc="$CUDA_TOOLKIT/bin/nvcc"
  local nvcc_version
  nvcc_version="$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  CUDA_NOTES+=("nvcc $nvcc_version ($nvcc), toolkit $CUDA_TOOLKIT")
  if [[ "${nvcc_version%%.*}" != "${torch_cuda%%.*}" ]]; then
    CUDA_NOTES+=("warning: nvcc $nvcc_version and torch's CUDA $torch_cuda differ in major version")
  fi
  # FindCUDA (PyTorch's Caffe2 cuda.cmake) derives the toolkit from the nvcc on PATH unless told;
  # a symlinked nvcc (/usr/local/bin/nvcc) would make it /usr/local.
  CUDA_CMAKE_ARGS+=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$prefix" -DREBALANCE_CUDA=ON
    "-DTORCH_CUDA_ARCH_LIST=$arch_list" "-DCMAKE_CUDA_COMPILER=$nvcc"
    "-DCUDA_TOOLKIT_ROOT_DIR=$CUDA_TOOLKIT" "-DCUDAToolkit_ROOT=$CUDA_TOOLKIT"
    -DREBALANCE_BUILD_EXAMPLES=OFF "-DPython3_EXECUTABLE=$py")

  # CUDA libraries that the toolkit lacks (a minimal one: compiler and cudart only) but that
  # torch's CMake looks up: take them from the nvidia-* wheels torch was installed with. They
  # ship only versioned names (libcublas.so.13), which find_library does not match, so each
  # one is named in its cache variable.
  local lib file
  local supplied=()
  for lib in cublas cublasLt curand cufft cusparse cusolver nvrtc nvJitLink cufile; do
    if compgen -G "$CUDA_TOOLKIT/lib*/lib$lib.so" >/dev/null ||
       compgen -G "$CUDA_TOOLKIT/targets/*/lib/lib$lib.so" >/dev/null; then
      continue
    fi
    file="$(compgen -G "$site/nvidia/*/lib/lib$lib.so.*[0-9]" | sort | head -n 1)"
    if [[ -n "$file" ]]; then
      CUDA_CMAKE_ARGS+=("-DCUDA_${lib}_LIBRARY=$file")
      supplied+=("$lib")
    fi
  done
  if ((${#supplied[@]})); then
    CUDA_NOTES+=("CUDA libraries missing from the toolkit, taken from torch's nvidia wheels: ${supplied[*]}")
  fi

  # fmt: the headers torch ships, header-only (never a system libfmt against torch's headers).
  if [[ -f "$include/fmt/format.h" ]]; then
    CUDA_CMAKE_ARGS+=("-DREBALANCE_FMT_INCLUDE_DIR=$include")
    CUDA_NOTES+=("fmt: torch's headers ($include/fmt), header-only")
  else
    CUDA_NOTES+=("fmt: torch ships none; CMake's find_package(fmt)")
  fi

  # GoogleTest: the C++ tests only when it is installed (CMake package or Debian's sources).
  if [[ "$tests" == ON ]] && { compgen -G "/usr/lib/*/cmake/GTest/GTestConfig.cmake" >/dev/null ||
       compgen -G "/usr/lib*/cmake/GTest/GTestConfig.cmake" >/dev/null ||
       [[ -f /usr/include/gtest/gtest.h && -n "$(compgen -G '/usr/lib/*/libgtest.a')" ]]; }; then
    CUDA_TESTS=ON
    CUDA_NOTES+=("GoogleTest found: C++ tests configured")
  else
    CUDA_NOTES+=("C++ tests off ($([[ "$tests" == ON ]] && echo "GoogleTest not installed" || echo "not requested"))")
  fi
  CUDA_CMAKE_ARGS+=("-DREBALANCE_BUILD_TESTS=$CUDA_TESTS")
}

cuda_sm_check() {
  local library="$1" arch_list="$2" py="$3" cuobjdump="" cand
  for cand in "$CUDA_TOOLKIT/bin/cuobjdump" "$(command -v cuobjdump 2>/dev/null)" \
      "${CUDA_HOME:+$CUDA_HOME/bin/cuobjdump}" /usr/local/cuda/bin/cuobjdump \
      $(compgen -G "$(dirname "$py")/../lib/python3*/site-packages/nvidia/cu*/bin/cuobjdump") \
      $(compgen -G "$(dirname "$py")/../lib/python3*/site-packages/triton/backends/nvidia/bin/cuobjdump"); do
    if [[ -n "$cand" && -x "$cand" ]]; then cuobjdump="$cand"; break; fi
  done
  if [[ -z "$cuobjdump" ]]; then
    CUDA_SM_FOUND="(no cuobjdump in the toolkit, PATH, CUDA_HOME, the nvidia or triton wheels)"
    return 1
  fi
  CUDA_SM_FOUND="$("$cuobjdump" --list-elf "$library" 2>&1 | grep -o 'sm_[0-9]*[a-z]*' | sort -u |
    tr '\n' ' ')"
  local arch
  for arch in ${arch_list//;/ }; do
    arch="${arch%%+*}"
    [[ " $CUDA_SM_FOUND " == *" sm_${arch//./} "* ]] || return 1
  done
}
