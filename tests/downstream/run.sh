#!/usr/bin/env bash
# Installs the built project into a temporary prefix, then configures, builds and runs the
# downstream project against it with find_package(rebalance), finding Torch the way a user
# does (its prefix on CMAKE_PREFIX_PATH). Usage: run.sh BUILD_DIR TORCH_PREFIX
set -euo pipefail
BUILD_DIR="$1"
TORCH_PREFIX="$2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD_DIR" --prefix "$WORK/prefix" >/dev/null
cmake -S "$HERE" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$WORK/prefix;$TORCH_PREFIX" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/build" -j 2 >/dev/null
"$WORK/build/downstream"
