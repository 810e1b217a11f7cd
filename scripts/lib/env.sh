# Sourced by the scripts: where things live and the two install helpers they share.
#   ROOT (set by the caller), BUILD_DIR ($REBALANCE_BUILD_DIR, default build/),
#   VENV ($REBALANCE_VENV, default .venv/), PY (the venv's python).
BUILD_DIR="${REBALANCE_BUILD_DIR:-$ROOT/build}"
VENV="${REBALANCE_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export REBALANCE_BUILD_DIR="$BUILD_DIR"

# apt_install PACKAGE...: installs the Debian packages that are not installed yet.
apt_install() {
  local missing=() package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  ((${#missing[@]})) || return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# base_python: the interpreter venvs are made from: $REBALANCE_PYTHON, else python3.11 (the
# torch wheels on this machine's disk are for 3.11), else python3.
base_python() {
  if [[ -n "${REBALANCE_PYTHON:-}" ]]; then echo "$REBALANCE_PYTHON"; return; fi
  if command -v python3.11 >/dev/null; then command -v python3.11; return; fi
  command -v python3
}

# make_venv DIR REQUIREMENTS [PIP ARGS...]: creates DIR and installs REQUIREMENTS into it; a
# stamp holding the file's checksum skips the install when nothing changed.
make_venv() {
  local dir="$1" requirements="$2"
  shift 2
  local stamp="$dir/.rebalance-requirements"
  local sum
  sum="$(cat "$requirements" | sha256sum | cut -c1-16)"
  if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then return 0; fi
  if [[ ! -x "$dir/bin/python" ]]; then
    echo "setup: creating the virtual environment $dir"
    "$(base_python)" -m venv "$dir"
  fi
  echo "setup: installing $requirements into $dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" "$@" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$sum" >"$stamp"
}
