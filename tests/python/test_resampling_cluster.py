"""rebalance::kmeans and rebalance::cluster_centroids against scikit-learn's KMeans and
imbalanced-learn 0.10's ClusterCentroids."""

import numpy as np
import pytest
import torch
from imblearn.under_sampling import ClusterCentroids
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs, make_classification

import rebalance

rs = rebalance.resampling


def inertia(x, centres):
    d = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return d.min(1).sum()


@pytest.mark.parametrize("n_clusters", [3, 20, 60])
def test_kmeans_inertia_close_to_sklearn(n_clusters):
    x, _ = make_blobs(n_samples=800, n_features=6, centers=8, random_state=1)
    # Both are local optima from random seeds: compare the means over three seeds each.
    ref = np.mean([KMeans(n_clusters=n_clusters, n_init=1, random_state=s).fit(x).inertia_
                   for s in range(3)])
    runs = [rs.kmeans(x, n_clusters, seed=s) for s in range(3)]
    centres, labels, ours = runs[0]
    assert centres.shape == (n_clusters, 6) and labels.shape == (800,)
    assert ours == pytest.approx(inertia(x, centres), rel=1e-9)
    assert np.mean([r[2] for r in runs]) <= 1.05 * ref
    np.testing.assert_array_equal(labels, ((x[:, None] - centres[None]) ** 2).sum(-1).argmin(1))


def test_kmeans_every_cluster_used_and_deterministic():
    x = np.random.default_rng(0).normal(size=(200, 3))
    x[100:] = x[0]  # many identical rows
    c1, l1, _ = rs.kmeans(x, 30, seed=4)
    c2, l2, _ = rs.kmeans(x, 30, seed=4)
    np.testing.assert_array_equal(c1, c2)
    assert len(np.unique(l1)) >= 29


@pytest.mark.parametrize("strategy", ["auto", "all", {0: 50, 1: 30}])
@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_cluster_centroids(strategy, voting):
    x, y = make_classification(n_samples=500, n_features=8, n_classes=3, n_informative=4,
                               weights=[0.6, 0.3, 0.1], random_state=3)
    cc = ClusterCentroids(sampling_strategy=strategy, voting=voting, random_state=0,
                          estimator=KMeans(n_init=1, random_state=0))
    x_ref, y_ref = cc.fit_resample(x, y)
    rows, labels, source = rs.cluster_centroids(x, y, strategy, voting=voting)
    np.testing.assert_array_equal(labels, y_ref)  # same counts, same class order
    for c in np.unique(y):
        # One k-means run each, so a looser bound than test_kmeans_inertia_close_to_sklearn.
        ours_c, ref_c, xc = rows[labels == c], x_ref[y_ref == c], x[y == c]
        assert inertia(xc, ours_c) <= 1.15 * inertia(xc, ref_c) + 1e-9
        if voting == "soft":
            assert (source[labels == c] == -1).all() or (source[labels == c] >= 0).all()
    real = source >= 0
    np.testing.assert_array_equal(rows[real], x[source[real]])
    assert (y[source[real]] == labels[real]).all()
    if voting == "hard":
        assert real.all()
