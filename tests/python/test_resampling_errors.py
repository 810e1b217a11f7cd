"""Bad input to the resampling operators: clear ValueError / IndexError / TypeError."""

import numpy as np
import pytest
import torch

import rebalance  # noqa: F401

ops = torch.ops.rebalance
X = torch.randn(30, 4)
Y = torch.tensor([0] * 20 + [1] * 8 + [2] * 2)

WITH_X = [
    lambda x, y: ops.tomek_links(x, y),
    lambda x, y: ops.edited_nearest_neighbours(x, y),
    lambda x, y: ops.near_miss(x, y, "auto", -1.0, None, 1),
    lambda x, y: ops.smote(x, y, "auto", -1.0, None, 1),
    lambda x, y: ops.adasyn(x, y, "auto", -1.0, None, 1),
    lambda x, y: ops.smote_tomek(x, y, "auto", -1.0, None, 1),
    lambda x, y: ops.cluster_centroids(x, y),
]


@pytest.mark.parametrize("op", WITH_X)
def test_non_finite_features(op):
    for bad in (float("nan"), float("inf")):
        x = X.clone()
        x[3, 1] = bad
        with pytest.raises(ValueError, match="finite"):
            op(x, Y)


@pytest.mark.parametrize("op", WITH_X)
def test_shapes_and_labels(op):
    with pytest.raises(ValueError, match="one entry per row"):
        op(X, Y[:-1])
    with pytest.raises(ValueError, match="2-D"):
        op(X.view(-1), Y)
    with pytest.raises(IndexError, match=">= 0"):
        op(X, torch.where(Y == 2, -1, Y))
    with pytest.raises(TypeError, match="integer"):
        op(X, Y.float())
    with pytest.raises(TypeError, match="floating point"):
        op(X.long(), Y)


def test_neighbours_versus_class_size():
    with pytest.raises(ValueError, match="class 2 has 2 samples; k_neighbors = 5 needs at least 6"):
        ops.smote(X, Y)
    with pytest.raises(ValueError, match="n_neighbors"):
        ops.near_miss(X, Y)  # minority has 2 rows, n_neighbors = 3
    with pytest.raises(ValueError, match="n_neighbors"):
        ops.edited_nearest_neighbours(X, Y, "auto", None, 30)
    one = torch.tensor([0] * 29 + [1])
    with pytest.raises(ValueError, match="class 1 has 1 samples"):
        ops.smote(X, one, "auto", -1.0, None, 1)
    # A class with one sample is fine where no neighbour within it is needed.
    assert ops.tomek_links(X, one).numel() >= 29
    assert ops.random_over_sampler(one).numel() == 28


def test_out_of_range_and_bad_options():
    with pytest.raises(IndexError, match="num_classes"):
        ops.sampling_strategy(Y, "under-sampling", "auto", -1.0, None, 2)
    with pytest.raises(ValueError, match="kind_sel"):
        ops.edited_nearest_neighbours(X, Y, "auto", None, 3, "some")
    with pytest.raises(ValueError, match="voting"):
        ops.cluster_centroids(X, Y, "auto", -1.0, None, "loud")
    with pytest.raises(ValueError, match="n_clusters"):
        ops.kmeans(X, 31)
    with pytest.raises(ValueError, match="over-sampling"):
        ops.smote(X, Y, "majority")
    with pytest.raises(ValueError, match="counts must be"):
        ops.random_under_sampler(Y, "auto", -1.0, torch.tensor([-2, -1, -1]))
    with pytest.raises(ValueError, match="no row of class"):
        far = torch.cat([torch.randn(20, 2), torch.randn(10, 2) + 100])
        ops.adasyn(far, torch.tensor([0] * 20 + [1] * 10))


def test_empty_and_helpers():
    x = np.zeros((0, 3))
    y = np.zeros(0, dtype=np.int64)
    assert rebalance.resampling.tomek_links(x, y).shape == (0,)
    with pytest.raises(TypeError, match="sampling_strategy"):
        rebalance.resampling.smote(X.numpy(), Y.numpy(), sampling_strategy=object())
