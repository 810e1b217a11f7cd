"""rebalance::sampling_strategy against imbalanced-learn 0.10's check_sampling_strategy."""

import numpy as np
import pytest
import torch
from imblearn.utils import check_sampling_strategy

import rebalance  # noqa: F401

KINDS = ["over-sampling", "under-sampling", "clean-sampling"]
STRINGS = ["auto", "majority", "minority", "not minority", "not majority", "all"]


def ours(y, kind, strategy="auto", ratio=-1.0, counts=None):
    out = torch.ops.rebalance.sampling_strategy(torch.as_tensor(y), kind, strategy, ratio, counts)
    return {c: int(v) for c, v in enumerate(out.tolist()) if v >= 0}


def reference(y, kind, strategy):
    return {int(k): int(v) for k, v in check_sampling_strategy(strategy, y, kind).items()}


Y_MULTI = np.repeat([0, 1, 2, 3], [50, 7, 20, 7])  # tie for the minority: lowest label wins
Y_BIN = np.repeat([0, 1], [30, 90])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("strategy", STRINGS)
@pytest.mark.parametrize("y", [Y_MULTI, Y_BIN], ids=["multi", "binary"])
def test_strings(kind, strategy, y):
    try:
        expected = reference(y, kind, strategy)
    except ValueError:
        with pytest.raises(ValueError):
            ours(y, kind, strategy)
        return
    assert ours(y, kind, strategy) == expected


@pytest.mark.parametrize("kind", ["over-sampling", "under-sampling"])
@pytest.mark.parametrize("ratio", [0.2, 0.5, 0.77, 1.0])
def test_float_ratio(kind, ratio):
    try:
        expected = reference(Y_BIN, kind, ratio)
    except ValueError:
        with pytest.raises(ValueError):
            ours(Y_BIN, kind, ratio=ratio)
        return
    assert ours(Y_BIN, kind, ratio=ratio) == expected


def test_dicts_and_lists():
    counts = torch.tensor([-1, 20, -1, 30])
    assert ours(Y_MULTI, "over-sampling", counts=counts) == reference(
        Y_MULTI, "over-sampling", {1: 20, 3: 30})
    counts = torch.tensor([10, -1, 5, -1])
    assert ours(Y_MULTI, "under-sampling", counts=counts) == reference(
        Y_MULTI, "under-sampling", {0: 10, 2: 5})
    assert ours(Y_MULTI, "clean-sampling", counts=torch.tensor([0, -1, 0, -1])) == reference(
        Y_MULTI, "clean-sampling", [0, 2])


def test_errors():
    with pytest.raises(ValueError, match="binary"):
        ours(Y_MULTI, "under-sampling", ratio=0.5)
    with pytest.raises(ValueError, match="cannot shrink"):
        ours(Y_MULTI, "over-sampling", counts=torch.tensor([10, -1, -1, -1]))
    with pytest.raises(ValueError, match="cannot grow"):
        ours(Y_MULTI, "under-sampling", counts=torch.tensor([60, -1, -1, -1]))
    with pytest.raises(ValueError, match="not present"):
        torch.ops.rebalance.sampling_strategy(torch.tensor([0, 0, 2]), "under-sampling", "auto",
                                              -1.0, torch.tensor([-1, 1, -1]))
    with pytest.raises(ValueError, match="one entry per class"):
        ours(Y_MULTI, "under-sampling", counts=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="sampling_type"):
        ours(Y_MULTI, "sideways")
    with pytest.raises(ValueError, match="strategy must be"):
        ours(Y_MULTI, "under-sampling", "most")
    with pytest.raises(IndexError, match=">= 0"):
        ours(np.array([0, -1, 1]), "under-sampling")
    with pytest.raises(ValueError, match="increase it"):
        ours(Y_BIN, "over-sampling", ratio=0.2)
