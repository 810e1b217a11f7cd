#!/usr/bin/env bash
# Installs what rebalance needs (Debian packages, only those missing), then configures and
# builds it (Release) into $REBALANCE_BUILD_DIR (default: build/). Safe to run repeatedly.
# libopenblas0-openmp replaces the reference BLAS that libtorch-dev pulls in (GEMM-bound
# convolutions and kNN distances are several times faster with it; it follows torch threads).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REBALANCE_BUILD_DIR:-$ROOT/build}"

PACKAGES=(cmake make g++ zlib1g-dev libopenblas0-openmp libtorch-dev libsleef-dev libfmt-dev
  libgtest-dev googletest python3-torch python3-torchvision python3-imblearn python3-sklearn
  python3-matplotlib python3-pytest dataset-fashion-mnist)
missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)"
