#!/usr/bin/env bash
# The compatibility leg: builds the C++ library, its GoogleTest suite, the examples and the
# find_package downstream test against Debian's own LibTorch (apt's libtorch-dev: 1.13 on
# Debian 12, a 2.x release on Debian 13) into build-debian/, and runs ctest there. The
# TorchScript round-trip test scripts its modules with Debian's python3 and python3-torch.
# Exits non-zero on any failure. Env: REBALANCE_DEBIAN_BUILD_DIR (default build-debian/),
# REBALANCE_CMAKE_ARGS (extra configure arguments, as for setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/env.sh"
BUILD="${REBALANCE_DEBIAN_BUILD_DIR:-$ROOT/build-debian}"

# libopenblas0-openmp replaces the reference BLAS that libtorch-dev pulls in (the kNN GEMM
# blocks and the examples' convolutions are several times faster with it).
apt_install cmake make g++ zlib1g-dev liblzma-dev libtorch-dev libsleef-dev libfmt-dev libgtest-dev \
  googletest libopenblas0-openmp python3-torch python3-torchvision dataset-fashion-mnist
echo "debian leg: Debian $(cat /etc/debian_version), libtorch-dev $(dpkg-query -W -f='${Version}' libtorch-dev)"

# -Werror: the C++ code must build without warnings against this LibTorch too.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DREBALANCE_CUDA=OFF -DREBALANCE_WARNINGS_AS_ERRORS=ON ${REBALANCE_CMAKE_ARGS:-}
cmake --build "$BUILD" -j "$(nproc)"
cd "$BUILD"
REBALANCE_BUILD_DIR="$BUILD" ctest --output-on-failure --timeout 900
