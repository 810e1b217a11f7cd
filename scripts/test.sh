#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs every test: ctest (GoogleTest and the
# downstream find_package check) and pytest (torch.ops, TorchScript, peers). Exits non-zero
# if anything fails.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REBALANCE_BUILD_DIR:-$ROOT/build}"
export REBALANCE_BUILD_DIR="$BUILD_DIR"

bash "$ROOT/scripts/setup.sh" || exit 1

status=0
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900) || status=1
PYTHONPATH="$ROOT/plugin/python${PYTHONPATH:+:$PYTHONPATH}" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "$ROOT/tests/python" || status=1
if ((status)); then echo "test.sh: FAILED"; else echo "test.sh: all tests passed"; fi
exit $status
