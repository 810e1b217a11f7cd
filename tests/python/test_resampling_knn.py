"""rebalance::knn against a brute-force reference and scikit-learn's NearestNeighbors."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

import rebalance  # noqa: F401

knn = torch.ops.rebalance.knn


def brute(q, r, k, exclude_self=False):
    """(distance, index) lexicographic order in float64, written independently of the op."""
    q64, r64 = q.double(), r.double()
    d = ((q64[:, None, :] - r64[None, :, :]) ** 2).sum(-1)
    if exclude_self:
        d.fill_diagonal_(float("inf"))
    idx = np.stack([np.lexsort((np.arange(r.shape[0]), row)) for row in d.numpy()])[:, :k]
    return torch.gather(d, 1, torch.as_tensor(idx)), torch.as_tensor(idx)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("exclude_self", [False, True])
def test_matches_brute_force_with_duplicates(dtype, exclude_self):
    g = torch.Generator().manual_seed(0)
    r = torch.randn(300, 7, generator=g, dtype=dtype)
    r[100:140] = r[0:40]  # exact duplicates: ties must go to the lower index
    r[200:210] = r[5]
    q = r if exclude_self else torch.randn(50, 7, generator=g, dtype=dtype)
    if not exclude_self:
        q[:10] = r[200]
    k = 12
    d, i = knn(q, r, k, exclude_self)
    rd, ri = brute(q, r, k, exclude_self)
    assert i.dtype == torch.int64 and d.dtype == dtype and d.shape == (q.shape[0], k)
    assert torch.equal(i, ri)
    torch.testing.assert_close(d.double(), rd, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("budget", [1 << 10, 1 << 14, 1 << 26])
def test_memory_budget_does_not_change_the_result(budget):
    g = torch.Generator().manual_seed(1)
    r = torch.randn(500, 16, generator=g)
    r[250:] = r[:250]
    d, i = knn(r, r, 5, True, budget)
    d0, i0 = knn(r, r, 5, True)
    assert torch.equal(i, i0) and torch.equal(d, d0)


def test_agrees_with_sklearn_on_continuous_data():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 20))
    q = rng.normal(size=(60, 20))
    ref_d, ref_i = NearestNeighbors(n_neighbors=6).fit(x).kneighbors(q)
    d, i = knn(torch.as_tensor(q), torch.as_tensor(x), 6)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    np.testing.assert_allclose(np.sqrt(d.numpy()), ref_d, rtol=1e-10)


def test_python_helper_and_torchscript():
    x = np.random.default_rng(3).normal(size=(40, 3)).astype(np.float32)
    d, i = rebalance.resampling.knn(x, k=2, exclude_self=True)
    assert isinstance(i, np.ndarray) and i.shape == (40, 2)
    assert not (i == np.arange(40)[:, None]).any()

    @torch.jit.script
    def scripted(a: torch.Tensor):
        return torch.ops.rebalance.knn(a, a, 2, True)

    assert torch.equal(scripted(torch.as_tensor(x))[1], torch.as_tensor(i))


def test_errors():
    x = torch.randn(10, 3)
    with pytest.raises(ValueError, match="k must be at most"):
        knn(x, x, 10, True)
    with pytest.raises(ValueError, match="k must be >= 1"):
        knn(x, x, 0)
    with pytest.raises(ValueError, match="same number of columns"):
        knn(x, torch.randn(10, 4), 1)
    with pytest.raises(ValueError, match="finite"):
        knn(torch.tensor([[float("nan"), 0.0]]), torch.zeros(3, 2), 1)
    with pytest.raises(ValueError, match="2-D"):
        knn(torch.zeros(3), torch.zeros(3), 1)
    with pytest.raises(TypeError, match="floating point"):
        knn(torch.zeros(3, 2, dtype=torch.int64), torch.zeros(3, 2, dtype=torch.int64), 1)
    with pytest.raises(ValueError, match="memory_budget"):
        knn(x, x, 1, False, 0)


@pytest.mark.parametrize("budget", [1 << 16, 1 << 26])
@pytest.mark.parametrize("same_tensor", [True, False])
def test_float32_blocks_match_sklearn(budget, same_tensor):
    # Many reference blocks and query tiles (padded tails included); the same tensor as query
    # and reference takes the symmetric search (each pair once), a copy the general one.
    x = np.random.default_rng(4).normal(size=(1501, 64)).astype(np.float32)
    ref_d, ref_i = NearestNeighbors(n_neighbors=5).fit(x.astype(np.float64)).kneighbors()
    q = torch.as_tensor(x)
    d, i = knn(q, q if same_tensor else q.clone(), 5, True, budget)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    np.testing.assert_allclose(np.sqrt(d.numpy()), ref_d, rtol=1e-5)


# Few features and at least 2048 references: the CPU search is a k-d tree (knn_tree.cpp).
def integer_table(n, d, seed):
    """Shuttle-like rows: small integers, so most rows repeat and distances tie exactly."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 4, (n, d), generator=g)


def exact_order(q, r, k, exclude_self):
    """(distance, index) order for integer-valued rows: distances are exact integers, so the key
    distance * rows + index sorts lexicographically; written independently of the op."""
    q64, r64 = q.double(), r.double()
    d = (q64 ** 2).sum(1)[:, None] + (r64 ** 2).sum(1)[None, :] - 2 * q64 @ r64.T
    if exclude_self:
        d.fill_diagonal_(float("inf"))
    key = d * r.shape[0] + torch.arange(r.shape[0], dtype=torch.float64)
    idx = key.argsort(1)[:, :k]
    return torch.gather(d, 1, idx), idx


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("exclude_self", [False, True])
@pytest.mark.parametrize("k", [1, 5, 40])
def test_few_features_with_many_repeated_rows_match_the_exact_order(dtype, exclude_self, k):
    r = integer_table(3000, 5, 0).to(dtype)
    q = r if exclude_self else integer_table(700, 5, 1).to(dtype)
    d, i = knn(q, r, k, exclude_self)
    rd, ri = exact_order(q, r, k, exclude_self)
    assert torch.equal(i, ri)
    assert torch.equal(d.double(), rd)


def test_identical_rows_give_the_lowest_other_indices():
    x = torch.zeros(2500, 3)
    _, i = knn(x, x, 4, True)
    expected = torch.tensor([[j for j in range(5) if j != row][:4] for row in range(2500)])
    assert torch.equal(i, expected)


@pytest.mark.parametrize("d", [2, 9, 12, 13])
def test_few_features_agree_with_sklearn_on_continuous_data(d):
    rng = np.random.default_rng(d)
    x = rng.normal(size=(4000, d)).astype(np.float32)
    q = rng.normal(size=(300, d)).astype(np.float32)
    ref_d, ref_i = NearestNeighbors(n_neighbors=7).fit(x).kneighbors(q)
    dist, i = knn(torch.as_tensor(q), torch.as_tensor(x), 7)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    np.testing.assert_allclose(np.sqrt(dist.numpy()), ref_d, rtol=1e-5)
