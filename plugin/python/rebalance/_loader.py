"""Finds librebalance.so (see the package docstring for the search order)."""

import os
from pathlib import Path

_NAME = "librebalance.so"


def _candidates():
    here = Path(__file__).resolve().parent
    explicit = os.environ.get("REBALANCE_LIBRARY")
    if explicit:
        yield Path(explicit), True
    build_dir = os.environ.get("REBALANCE_BUILD_DIR")
    if build_dir:
        yield Path(build_dir) / _NAME, True
    # Installed: <prefix>/lib/python/rebalance/__init__.py -> <prefix>/lib/librebalance.so
    yield here.parents[1] / _NAME, False
    # Source tree: <repo>/plugin/python/rebalance -> <repo>/build/librebalance.so
    yield here.parents[2] / "build" / _NAME, False


def find_library() -> Path:
    tried = []
    for path, explicit in _candidates():
        if path.is_file():
            return path.resolve()
        if explicit:
            raise OSError(f"rebalance: {path} does not exist (set by the environment)")
        tried.append(str(path))
    raise OSError(
        "rebalance: librebalance.so not found; build it (scripts/setup.sh) or set "
        "REBALANCE_LIBRARY to its path. Tried: " + ", ".join(tried))
