"""PEP 517 backend for ``pip install .`` / ``pip wheel .``: scikit-build-core, pointed at the
torch of the environment being installed into.

librebalance.so must be compiled against the LibTorch of the torch it will be loaded beside
(LibTorch has no stable C++ ABI across releases). pip builds in an isolated environment that
cannot import the target's torch, but runs this backend with the target's interpreter, so the
target's site-packages is still known: its ``torch/share/cmake`` is handed to CMake through
``CMAKE_PREFIX_PATH`` and nothing is downloaded. ``--no-build-isolation`` works the same way.
"""

import importlib.util
import os
import sys
import sysconfig
from pathlib import Path

from scikit_build_core import build as _build

__all__ = ["build_wheel", "build_sdist", "build_editable", "get_requires_for_build_wheel",
           "get_requires_for_build_sdist", "get_requires_for_build_editable",
           "prepare_metadata_for_build_wheel", "prepare_metadata_for_build_editable"]


def _torch_cmake_prefix() -> Path:
    """The torch package folder (its CMake prefix: share/cmake/Torch and lib/ below it, found
    before any system LibTorch): the importable torch's, else the target environment's."""
    spec = importlib.util.find_spec("torch")
    roots = [Path(p).parent for p in (spec.submodule_search_locations or [])] if spec else []
    roots += [Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")]
    for root in roots:
        prefix = root / "torch"
        if (prefix / "share" / "cmake" / "Torch" / "TorchConfig.cmake").is_file():
            return prefix
    raise RuntimeError(
        "rebalance: building needs PyTorch installed in the target environment "
        f"({sys.prefix}); none found in {', '.join(map(str, roots))}. Install torch first, "
        "e.g. 'pip install torch==2.13.0', then 'pip install .'")


def _with_torch(hook):
    def wrapped(*args, **kwargs):
        prefix = str(_torch_cmake_prefix())
        previous = os.environ.get("CMAKE_PREFIX_PATH")
        os.environ["CMAKE_PREFIX_PATH"] = prefix + (os.pathsep + previous if previous else "")
        return hook(*args, **kwargs)
    wrapped.__name__ = hook.__name__
    wrapped.__doc__ = hook.__doc__
    return wrapped


build_wheel = _with_torch(_build.build_wheel)
build_editable = _with_torch(_build.build_editable)
build_sdist = _build.build_sdist
get_requires_for_build_wheel = _build.get_requires_for_build_wheel
get_requires_for_build_sdist = _build.get_requires_for_build_sdist
get_requires_for_build_editable = _build.get_requires_for_build_editable
prepare_metadata_for_build_wheel = _build.prepare_metadata_for_build_wheel
prepare_metadata_for_build_editable = _build.prepare_metadata_for_build_editable
