#!/usr/bin/env bash
# Installs what rebalance needs and builds it against PyTorch 2.13 from pip (the primary
# target). Safe to run repeatedly; only what is missing is installed.
#   1. Debian packages for the build and the data (only those missing; apt-get update first).
#   2. A virtual environment $REBALANCE_VENV (default .venv/) from pyenv's Python 3.11 with the
#      pinned packages of scripts/requirements.txt (torch 2.13.0 CPU from the machine's disk).
#   3. CMake configure + build (Release) of librebalance.so, the tests and the examples against
#      the LibTorch inside that torch wheel, into $REBALANCE_BUILD_DIR (default build/).
# REBALANCE_SETUP_SKIP_BUILD=1 stops after step 2.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/env.sh"

apt_install cmake make g++ zlib1g-dev liblzma-dev libgtest-dev googletest dataset-fashion-mnist \
  r-cran-mlbench
make_venv "$VENV" "$ROOT/scripts/requirements.txt"
[[ "${REBALANCE_SETUP_SKIP_BUILD:-0}" == 1 ]] && exit 0

# The torch package folder itself (not torch.utils.cmake_prefix_path): as a prefix it makes CMake
# find torch/lib's libraries before any system LibTorch (Debian's libtorch-dev).
TORCH_PREFIX="$("$VENV/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" \
  -DPython3_EXECUTABLE="$VENV/bin/python" -DREBALANCE_CUDA=OFF -DREBALANCE_WARNINGS_AS_ERRORS=ON \
  ${REBALANCE_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$(nproc)"
