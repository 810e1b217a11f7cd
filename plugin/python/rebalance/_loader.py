"""Finds and loads librebalance.so (see the package docstring for the search order)."""

import os
import re
from pathlib import Path

import torch

_NAME = "librebalance.so"
_TORCH_VERSION_FILE = "librebalance.torch-version"


def _candidates():
    here = Path(__file__).resolve().parent
    explicit = os.environ.get("REBALANCE_LIBRARY")
    if explicit:
        yield Path(explicit), True
    build_dir = os.environ.get("REBALANCE_BUILD_DIR")
    if build_dir:
        yield Path(build_dir) / _NAME, True
    # pip install . / a wheel: the library lies inside the package.
    yield here / _NAME, False
    # CMake install: <prefix>/lib/python/rebalance/__init__.py -> <prefix>/lib/librebalance.so
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
        "rebalance: librebalance.so not found; build it (scripts/setup.sh), 'pip install .', "
        "or set REBALANCE_LIBRARY to its path. Tried: " + ", ".join(tried))


def _release(version: str) -> str:
    """'2.13.0+cpu' -> '2.13.0', '1.13.0a0' (Debian's) -> '1.13.0'."""
    match = re.match(r"\d+(\.\d+)*", version)
    return match.group(0) if match else version


def load_library(path: Path) -> None:
    """Loads the library into torch, after checking it was built for this torch release."""
    stamp = path.with_name(_TORCH_VERSION_FILE)
    built_for = stamp.read_text().strip() if stamp.is_file() else None
    if built_for and _release(built_for) != _release(torch.__version__):
        raise ImportError(
            f"rebalance: {path} was built against torch {built_for}, but torch "
            f"{torch.__version__} is installed; LibTorch has no stable C++ ABI across "
            "releases, so rebuild rebalance against this torch (pip install --force-reinstall "
            "--no-deps . from the source tree, or scripts/setup.sh)")
    torch.ops.load_library(str(path))
