"""The device-agnostic path of the resampling ops (what a GPU runs; forced on the CPU with
REBALANCE_RESAMPLING_GENERIC=1) gives the same results as the fused CPU path, and both give the
exact k nearest neighbours where float32 rounding makes the approximate values useless."""

import os

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

import rebalance  # noqa: F401

ops = torch.ops.rebalance


def both_paths(fn):
    """(fast CPU result, generic result) of fn()."""
    fast = fn()
    os.environ["REBALANCE_RESAMPLING_GENERIC"] = "1"
    try:
        generic = fn()
    finally:
        del os.environ["REBALANCE_RESAMPLING_GENERIC"]
    return fast, generic


def assert_same(a, b):
    a = a if isinstance(a, (tuple, list)) else (a,)
    b = b if isinstance(b, (tuple, list)) else (b,)
    assert len(a) == len(b)
    for s, t in zip(a, b):
        assert s.dtype == t.dtype and s.device == t.device and s.shape == t.shape
        if s.is_floating_point():
            # knn distances: float64 sums in another order may differ in the last bit.
            torch.testing.assert_close(s, t, rtol=1e-12, atol=0)
        else:
            assert torch.equal(s, t)


def data(dtype, n=900, d=12, weights=(0.8, 0.15, 0.05), seed=0):
    x, y = make_classification(n_samples=n, n_features=d, n_informative=6, n_classes=3,
                               weights=list(weights), flip_y=0.02, random_state=seed)
    x = torch.as_tensor(x, dtype=dtype)
    x[n - 40:] = x[:40]  # duplicate rows: ties must resolve the same way
    y = torch.as_tensor(y)
    y[n - 40:] = y[:40]
    return x, y


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("exclude_self,k", [(False, 1), (True, 1), (True, 6)])
def test_knn(dtype, exclude_self, k):
    x, _ = data(dtype)
    q = x if exclude_self else x[::7].contiguous()
    assert_same(*both_paths(lambda: ops.knn(q, x, k, exclude_self)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("weights", [(0.8, 0.15, 0.05), (0.4, 0.35, 0.25)])
def test_under_sampling(dtype, weights):
    x, y = data(dtype, weights=weights)
    for fn in (lambda: ops.tomek_links(x, y),
               lambda: ops.tomek_links(x, y, "all"),
               lambda: ops.edited_nearest_neighbours(x, y),
               lambda: ops.near_miss(x, y)):
        assert_same(*both_paths(fn))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_over_sampling(dtype):
    x, y = data(dtype)
    for fn in (lambda: ops.smote(x, y, seed=3),
               lambda: ops.adasyn(x, y, seed=3),
               lambda: ops.smote_tomek(x, y, seed=3),
               lambda: ops.random_over_sampler(y, seed=3)):
        assert_same(*both_paths(fn))


@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_cluster_centroids_and_kmeans(voting):
    x, y = data(torch.float32, n=600)
    assert_same(*both_paths(lambda: ops.cluster_centroids(x, y, voting=voting, seed=1)))
    assert_same(*both_paths(lambda: ops.kmeans(x, 7, seed=2)))


@pytest.mark.parametrize("generic", [False, True])
def test_exact_where_float32_rounding_hides_the_order(generic, monkeypatch):
    # Rows near 1000 that differ by ~1e-3: ||r||² − 2 q·r in float32 is off by ~0.1, far more
    # than the gaps, so most queries need the exact re-measurement against every reference.
    if generic:
        monkeypatch.setenv("REBALANCE_RESAMPLING_GENERIC", "1")
    g = torch.Generator().manual_seed(5)
    x = 1000 + torch.randn(300, 4, generator=g, dtype=torch.float64) * 1e-3
    x[200:260] = x[0]  # 61 copies: the list of k + 3 candidates cannot prove the order
    xf = x.float()
    d, i = ops.knn(xf, xf, 3, True)
    ref = ((xf.double()[:, None] - xf.double()[None]) ** 2).sum(-1)
    ref.fill_diagonal_(float("inf"))
    order = np.stack([np.lexsort((np.arange(300), row)) for row in ref.numpy()])[:, :3]
    assert torch.equal(i, torch.as_tensor(order))
    torch.testing.assert_close(d.double(), torch.gather(ref, 1, i), rtol=1e-6, atol=0)
