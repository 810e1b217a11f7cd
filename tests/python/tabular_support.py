"""The tabular ops library (librebalance_tabular.so) for the tabular tests, or a skip with the
reason when the examples were not built."""

from pathlib import Path

import pytest
import torch

import rebalance

MLBENCH = Path("/usr/lib/R/site-library/mlbench/data")
TINY_CSV = Path(__file__).resolve().parents[1] / "data" / "tabular_tiny.csv"


def tabular_ops():
    path = Path(rebalance.library_path()).parent / "librebalance_tabular.so"
    if not hasattr(torch.ops.rebalance_tabular, "fold"):
        if not path.exists():
            pytest.skip(f"{path} not built (REBALANCE_BUILD_EXAMPLES=OFF?)")
        torch.ops.load_library(str(path))
    return torch.ops.rebalance_tabular


def mlbench(name):
    path = MLBENCH / f"{name}.rda"
    if not path.exists():
        pytest.skip(f"{path} missing (Debian package r-cran-mlbench)")
    return str(path)
