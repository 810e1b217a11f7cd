"""Under-sampling and cleaning estimators over rebalance's kernels (imbalanced-learn's API)."""

import numbers

import numpy as np
from imblearn.under_sampling.base import BaseCleaningSampler, BaseUnderSampler
from sklearn.cluster import KMeans
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions

from .. import resampling
from ._common import cleaned_classes, dense_tags, features, kept_counts, seed_of

_NEIGHBORS = [Interval(numbers.Integral, 1, None, closed="left")]


class _KeptRows:
    """Mixin: ``_fit_resample`` from the kernel's kept row indices (``sample_indices_``)."""

    def _fit_resample(self, X, y):
        self.sample_indices_ = np.asarray(self._kept(X, y), dtype=np.int64)
        return _safe_indexing(X, self.sample_indices_), _safe_indexing(y, self.sample_indices_)


class TomekLinks(_KeptRows, BaseCleaningSampler):
    """imbalanced-learn's ``TomekLinks`` on ``torch.ops.rebalance.tomek_links``: removes the
    targeted members of mutual nearest-neighbour pairs of different classes. Same kept rows as
    imbalanced-learn (ties between duplicate rows go to the lowest index). ``n_jobs`` is accepted
    and ignored (ATen's threads apply)."""

    _parameter_constraints: dict = {**BaseCleaningSampler._parameter_constraints,
                                    "n_jobs": [numbers.Integral, None]}

    def __init__(self, *, sampling_strategy="auto", n_jobs=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_jobs = n_jobs

    def _kept(self, X, y):
        return resampling.tomek_links(features(X), y, cleaned_classes(self.sampling_strategy_))

    def __sklearn_tags__(self):
        return dense_tags(super().__sklearn_tags__(), sample_indices=True)


class EditedNearestNeighbours(_KeptRows, BaseCleaningSampler):
    """imbalanced-learn's ``EditedNearestNeighbours`` (``kind_sel`` "all" or "mode") on
    ``torch.ops.rebalance.edited_nearest_neighbours``; same kept rows as imbalanced-learn.
    ``n_neighbors`` is an int (a neighbours object: use imbalanced-learn's class with
    :class:`NearestNeighbors`)."""

    _parameter_constraints: dict = {**BaseCleaningSampler._parameter_constraints,
                                    "n_neighbors": _NEIGHBORS,
                                    "kind_sel": [StrOptions({"all", "mode"})],
                                    "n_jobs": [numbers.Integral, None]}

    def __init__(self, *, sampling_strategy="auto", n_neighbors=3, kind_sel="all", n_jobs=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel
        self.n_jobs = n_jobs

    def _kept(self, X, y):
        return resampling.edited_nearest_neighbours(
            features(X), y, cleaned_classes(self.sampling_strategy_), self.n_neighbors,
            self.kind_sel)

    def __sklearn_tags__(self):
        return dense_tags(super().__sklearn_tags__(), sample_indices=True)


class NearMiss(_KeptRows, BaseUnderSampler):
    """imbalanced-learn's ``NearMiss`` version 1 on ``torch.ops.rebalance.near_miss``: keeps the
    rows with the smallest mean distance to their ``n_neighbors`` nearest minority rows; same
    kept rows as imbalanced-learn. Versions 2 and 3 raise ValueError at fit."""

    _parameter_constraints: dict = {**BaseUnderSampler._parameter_constraints,
                                    "version": [Interval(numbers.Integral, 1, 3, closed="both")],
                                    "n_neighbors": _NEIGHBORS, "n_neighbors_ver3": _NEIGHBORS,
                                    "n_jobs": [numbers.Integral, None]}

    def __init__(self, *, sampling_strategy="auto", version=1, n_neighbors=3, n_neighbors_ver3=3,
                 n_jobs=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.version = version
        self.n_neighbors = n_neighbors
        self.n_neighbors_ver3 = n_neighbors_ver3
        self.n_jobs = n_jobs

    def _kept(self, X, y):
        if self.version != 1:
            raise ValueError(f"NearMiss: rebalance implements version 1 only, got version="
                             f"{self.version}; use imblearn.under_sampling.NearMiss for "
                             f"versions 2 and 3")
        return resampling.near_miss(features(X), y, kept_counts(self.sampling_strategy_),
                                    self.n_neighbors)

    def __sklearn_tags__(self):
        return dense_tags(super().__sklearn_tags__(), sample_indices=True)


class RandomUnderSampler(_KeptRows, BaseUnderSampler):
    """imbalanced-learn's ``RandomUnderSampler`` on ``torch.ops.rebalance.random_under_sampler``
    (seeded from ``random_state``): the same per-class counts, other rows than imbalanced-learn's
    generator picks. Only labels are read, so X may be sparse, strings or hold NaN."""

    _parameter_constraints: dict = {**BaseUnderSampler._parameter_constraints,
                                    "replacement": ["boolean"], "random_state": ["random_state"]}

    def __init__(self, *, sampling_strategy="auto", random_state=None, replacement=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.replacement = replacement

    def _check_X_y(self, X, y):
        return _labels_only_check(self, X, y)

    def _kept(self, X, y):
        return resampling.random_under_sampler(y, kept_counts(self.sampling_strategy_),
                                               self.replacement, seed_of(self.random_state))

    def __sklearn_tags__(self):
        return _labels_only_tags(super().__sklearn_tags__())


class ClusterCentroids(BaseUnderSampler):
    """imbalanced-learn's ``ClusterCentroids`` on ``torch.ops.rebalance.cluster_centroids``:
    per targeted class, k-means (k-means++ then Lloyd) with as many clusters as rows to keep;
    "soft" voting keeps the centroids, "hard" the real rows nearest to them ("auto": soft, X is
    dense). ``estimator`` may be None or a ``sklearn.cluster.KMeans`` whose ``max_iter``,
    ``tol`` and ``random_state`` the kernel takes; no ``sample_indices_`` (as imbalanced-learn)."""

    _parameter_constraints: dict = {**BaseUnderSampler._parameter_constraints,
                                    "estimator": [KMeans, None],
                                    "voting": [StrOptions({"auto", "hard", "soft"})],
                                    "random_state": ["random_state"]}

    def __init__(self, *, sampling_strategy="auto", random_state=None, estimator=None,
                 voting="auto"):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.estimator = estimator
        self.voting = voting

    def _fit_resample(self, X, y):
        kmeans = self.estimator if self.estimator is not None else KMeans()
        random_state = (kmeans.random_state if self.estimator is not None and
                        kmeans.random_state is not None else self.random_state)
        self.voting_ = "soft" if self.voting == "auto" else self.voting
        rows, labels, _ = resampling.cluster_centroids(
            features(X), y, kept_counts(self.sampling_strategy_), self.voting_,
            kmeans.max_iter, kmeans.tol, seed_of(random_state))
        return rows.astype(X.dtype, copy=False), np.asarray(labels, dtype=y.dtype)

    def __sklearn_tags__(self):
        return dense_tags(super().__sklearn_tags__(), sample_indices=False)


def _labels_only_check(sampler, X, y):
    """imbalanced-learn's input check of the samplers that only index rows."""
    from imblearn.utils import check_target_type
    from imblearn.utils._validation import _check_X
    from sklearn.utils.validation import validate_data

    y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
    X = _check_X(X)
    validate_data(sampler, X=X, y=y, reset=True, skip_check_array=True)
    return X, y, binarize_y


def _labels_only_tags(tags):
    tags.input_tags.allow_nan = True
    tags.input_tags.string = True
    tags.input_tags.sparse = True
    tags.sampler_tags.sample_indices = True
    return tags
