"""count_clusters_per_class: the elbow rule against sklearn KMeans, and the "cluster" weights."""
import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from rebalance.weighting import class_weights, count_clusters_per_class


def sklearn_elbow(x, max_clusters, min_improvement):
    inertia = KMeans(1, n_init=10, random_state=0).fit(x).inertia_
    k = 1
    while k < min(max_clusters, len(x)) and inertia > 0:
        nxt = KMeans(k + 1, n_init=10, random_state=0).fit(x).inertia_
        if nxt > (1 - min_improvement) * inertia:
            break
        inertia, k = nxt, k + 1
    return k


def dataset():
    parts, labels = [], []
    for c, (k, n) in enumerate([(1, 300), (3, 120), (2, 60), (4, 80)]):
        x, _ = make_blobs(n, n_features=2, centers=k, cluster_std=0.3, center_box=(-20, 20),
                          random_state=c + 10)
        parts.append(x)
        labels.append(np.full(n, c))
    return np.concatenate(parts), np.concatenate(labels)


def test_counts_match_sklearn_elbow_and_planted_clusters():
    x, y = dataset()
    k = count_clusters_per_class(torch.from_numpy(x), torch.from_numpy(y), 5, max_clusters=6)
    expected = [sklearn_elbow(x[y == c], 6, 0.5) for c in range(4)]
    assert k.tolist() == expected + [0]
    assert k.tolist()[:4] == [1, 3, 2, 4]
    counts = torch.from_numpy(np.bincount(y, minlength=5))
    with pytest.warns(UserWarning):
        w = class_weights(counts, "cluster", clusters_per_class=k)
    raw = np.array([1 / 300, 3 / 120, 2 / 60, 4 / 80, 0])
    np.testing.assert_allclose(w.numpy(), raw * 5 / raw.sum(), rtol=1e-6)


def test_errors():
    x, y = torch.randn(10, 2), torch.randint(0, 2, (10,))
    with pytest.raises(IndexError):
        count_clusters_per_class(x, y + 5, 2)
    with pytest.raises(ValueError):
        count_clusters_per_class(x, y[:5], 2)
    with pytest.raises(TypeError):
        count_clusters_per_class(x.long(), y, 2)
    with pytest.raises(ValueError, match="min_improvement"):
        count_clusters_per_class(x, y, 2, min_improvement=1.5)
