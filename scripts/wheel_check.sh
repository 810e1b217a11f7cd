#!/usr/bin/env bash
# pip packaging check: builds a wheel of this tree with `pip wheel .` (pyproject.toml,
# scikit-build-core, against the torch of the environment building it), installs it into a
# fresh virtual environment that has only the torch wheel and NumPy, and runs
# tests/wheel/smoke.py from / with no REBALANCE_* variable set. Exits non-zero on failure.
# Env: REBALANCE_VENV (the environment that builds; default .venv/, made by setup.sh),
# REBALANCE_WHEEL_BUILD_DIR (CMake build folder reused between runs; default build-wheel/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/env.sh"
[[ -x "$PY" ]] || REBALANCE_SETUP_SKIP_BUILD=1 bash "$ROOT/scripts/setup.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
START=$SECONDS
TORCH_SPEC="torch==$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"

echo "wheel_check: pip wheel . (against $TORCH_SPEC)"
"$PY" -m pip wheel "$ROOT" --no-deps -w "$WORK/dist" -q --disable-pip-version-check \
  -C build-dir="${REBALANCE_WHEEL_BUILD_DIR:-$ROOT/build-wheel}" \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
WHEEL="$(ls "$WORK"/dist/rebalance-*.whl)"
echo "wheel_check: built $(basename "$WHEEL") ($((SECONDS - START)) s)"

"$(base_python)" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check "$TORCH_SPEC" numpy \
  "$WHEEL" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
echo "wheel_check: installed into a fresh venv ($((SECONDS - START)) s)"

cp "$ROOT/tests/wheel/smoke.py" "$WORK/smoke.py"
cd /
env -u REBALANCE_BUILD_DIR -u REBALANCE_LIBRARY -u PYTHONPATH \
  "$WORK/venv/bin/python" -c "import rebalance; print('import rebalance from /:', rebalance.library_path())"
env -u REBALANCE_BUILD_DIR -u REBALANCE_LIBRARY -u PYTHONPATH \
  "$WORK/venv/bin/python" "$WORK/smoke.py"
echo "wheel_check: passed in $((SECONDS - START)) s"
