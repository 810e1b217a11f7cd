"""Tomek links, edited nearest neighbours, NearMiss-1 and random under-sampling against
imbalanced-learn 0.10: the same kept indices (sample_indices_)."""

import numpy as np
import pytest
import torch
from imblearn.under_sampling import (EditedNearestNeighbours, NearMiss, RandomUnderSampler,
                                     TomekLinks)
from sklearn.datasets import make_classification

import rebalance

rs = rebalance.resampling


def random_set(seed, n=300, d=8, classes=3):
    rng = np.random.default_rng(seed)
    y = rng.choice(classes, size=n, p=np.linspace(1, 3, classes) / np.linspace(1, 3, classes).sum())
    x = rng.normal(size=(n, d)) + y[:, None] * 0.3
    return x, y


def duplicate_set(seed):
    """Random data where rows repeat within their class (as after random over-sampling)."""
    x, y = random_set(seed, n=240)
    rng = np.random.default_rng(seed + 100)
    src = rng.integers(0, 240, size=80)
    return np.vstack([x, x[src]]), np.concatenate([y, y[src]])


def classification_set(seed):
    x, y = make_classification(n_samples=400, n_features=12, n_informative=6, n_classes=3,
                               weights=[0.6, 0.3, 0.1], flip_y=0.05, random_state=seed)
    return x, y


def skewed_set(seed):
    """One class holds most rows (Tomek links then searches only the others and their
    neighbours), with duplicate rows across the classes."""
    x, y = make_classification(n_samples=500, n_features=10, n_informative=5, n_classes=3,
                               weights=[0.85, 0.1, 0.05], flip_y=0.05, random_state=seed)
    src = np.random.default_rng(seed).integers(0, 500, size=30)
    return np.vstack([x, x[src]]), np.concatenate([y, y[src]])


DATASETS = [("random", random_set), ("duplicates", duplicate_set),
            ("make_classification", classification_set), ("skewed", skewed_set)]


def kept(sampler, x, y):
    sampler.fit_resample(x, y)
    return np.sort(sampler.sample_indices_)


@pytest.mark.parametrize("name,make", DATASETS)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("strategy", ["auto", "all", "majority", "not majority"])
def test_tomek_links(name, make, seed, strategy):
    x, y = make(seed)
    expected = kept(TomekLinks(sampling_strategy=strategy), x, y)
    np.testing.assert_array_equal(rs.tomek_links(x, y, strategy), expected)
    np.testing.assert_array_equal(rs.tomek_links(x.astype(np.float32), y, strategy), expected)


@pytest.mark.parametrize("name,make", DATASETS)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind_sel,n_neighbors", [("all", 3), ("mode", 3), ("all", 5)])
def test_edited_nearest_neighbours(name, make, seed, kind_sel, n_neighbors):
    x, y = make(seed)
    expected = kept(EditedNearestNeighbours(n_neighbors=n_neighbors, kind_sel=kind_sel), x, y)
    np.testing.assert_array_equal(
        rs.edited_nearest_neighbours(x, y, n_neighbors=n_neighbors, kind_sel=kind_sel), expected)


@pytest.mark.parametrize("name,make", DATASETS)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("strategy", ["auto", "majority", {0: 40, 1: 30}])
def test_near_miss_1(name, make, seed, strategy):
    x, y = make(seed)
    expected = kept(NearMiss(version=1, n_neighbors=3, sampling_strategy=strategy), x, y)
    np.testing.assert_array_equal(rs.near_miss(x, y, strategy), expected)


def test_string_labels_and_lists():
    x, y = classification_set(3)
    labels = np.array(["cat", "dog", "eel"])[y]
    expected = kept(TomekLinks(sampling_strategy=["cat", "eel"]), x, labels)
    np.testing.assert_array_equal(rs.tomek_links(x, labels, ["cat", "eel"]), expected)


@pytest.mark.parametrize("strategy", ["auto", "all", 0.8, {0: 100, 2: 20}])
@pytest.mark.parametrize("replacement", [False, True])
def test_random_under_sampler_counts(strategy, replacement):
    x, y = classification_set(4)
    if isinstance(strategy, float):
        x, y = x[y < 2], y[y < 2]
    expected = kept(RandomUnderSampler(sampling_strategy=strategy, replacement=replacement,
                                       random_state=0), x, y)
    ours = rs.random_under_sampler(y, strategy, replacement=replacement, seed=5)
    np.testing.assert_array_equal(np.bincount(y[ours]), np.bincount(y[expected]))
    assert np.all(np.diff(ours) >= 0)
    if not replacement:
        assert len(np.unique(ours)) == len(ours)
    again = rs.random_under_sampler(y, strategy, replacement=replacement, seed=5)
    np.testing.assert_array_equal(ours, again)


def test_tensors_in_tensors_out():
    x, y = classification_set(5)
    out = torch.ops.rebalance.tomek_links(torch.as_tensor(x), torch.as_tensor(y))
    assert out.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), kept(TomekLinks(), x, y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tomek_links_after_random_over_sampling(dtype):
    # Every minority row repeated ~5 times: candidate lists full of copies must be searched
    # again with more candidates, and the result still matches imbalanced-learn.
    from imblearn.over_sampling import RandomOverSampler
    x, y = make_classification(n_samples=500, n_features=8, n_informative=4,
                               weights=[0.85, 0.15], flip_y=0.05, random_state=3)
    x, y = RandomOverSampler(random_state=0).fit_resample(x.astype(dtype), y)
    np.testing.assert_array_equal(rs.tomek_links(x, y), kept(TomekLinks(), x, y))
    np.testing.assert_array_equal(rs.tomek_links(x, y, "all"),
                                  kept(TomekLinks(sampling_strategy="all"), x, y))


@pytest.mark.parametrize("method", ["tomek", "enn"])
def test_many_rows_few_features_match_imblearn(method):
    """At Shuttle-like shape (thousands of rows, few features) the neighbour search is the k-d
    tree: the kept rows are still imbalanced-learn's."""
    from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=6000, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=3, weights=[0.8, 0.15, 0.05], random_state=3)
    if method == "tomek":
        ref = TomekLinks()
        kept = rebalance.resampling.tomek_links(x, y)
    else:
        ref = EditedNearestNeighbours(n_neighbors=3)
        kept = rebalance.resampling.edited_nearest_neighbours(x, y, n_neighbors=3)
    ref.fit_resample(x, y)
    assert len(ref.sample_indices_) < len(y)
    np.testing.assert_array_equal(np.sort(np.asarray(kept)), np.sort(ref.sample_indices_))
