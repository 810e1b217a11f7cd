"""Over-sampling estimators over rebalance's kernels (imbalanced-learn's API)."""

import numbers
from collections.abc import Mapping

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from scipy import sparse
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval

from .. import resampling
from ._common import dense_tags, features, seed_of, total_counts
from ._under import _labels_only_check, _labels_only_tags

_NEIGHBORS = [Interval(numbers.Integral, 1, None, closed="left")]


class RandomOverSampler(BaseOverSampler):
    """imbalanced-learn's ``RandomOverSampler`` on ``torch.ops.rebalance.random_over_sampler``:
    appends rows drawn with replacement within each targeted class (the same per-class counts
    and ``sample_indices_`` layout as imbalanced-learn: the original rows, then the drawn ones).
    ``shrinkage`` (a float or {label: float}) perturbs the drawn rows with imbalanced-learn's
    smoothed bootstrap. Only labels are read without shrinkage, so X may be sparse or strings."""

    _parameter_constraints: dict = {**BaseOverSampler._parameter_constraints,
                                    "shrinkage": [Interval(numbers.Real, 0, None, closed="left"),
                                                  dict, None]}

    def __init__(self, *, sampling_strategy="auto", random_state=None, shrinkage=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.shrinkage = shrinkage

    def _check_X_y(self, X, y):
        return _labels_only_check(self, X, y)

    def _fit_resample(self, X, y):
        rng = check_random_state(self.random_state)
        drawn = np.asarray(resampling.random_over_sampler(
            y, total_counts(self.sampling_strategy_, y), seed_of(rng)), dtype=np.int64)
        self.sample_indices_ = np.concatenate([np.arange(len(y)), drawn])
        X_new = _safe_indexing(X, drawn)
        self.shrinkage_ = ({label: self.shrinkage for label in self.sampling_strategy_}
                           if isinstance(self.shrinkage, numbers.Real) else self.shrinkage)
        if self.shrinkage_ is not None:
            X_new = self._smoothed(X, y, drawn, rng)
        stack = sparse.vstack if sparse.issparse(X) else np.vstack
        X_res = stack([X, X_new])
        if sparse.issparse(X):
            X_res = X_res.asformat(X.format)
        return X_res, np.hstack([y, _safe_indexing(y, drawn)])

    def _smoothed(self, X, y, drawn, rng):
        """imbalanced-learn's smoothed bootstrap: drawn rows plus Gaussian noise scaled by the
        class's standard deviation, the shrinkage and (4 / ((d + 2) n))^(1 / (d + 4))."""
        missing = set(self.sampling_strategy_) - set(self.shrinkage_)
        if not isinstance(self.shrinkage_, Mapping) or missing:
            raise ValueError(f"RandomOverSampler: shrinkage needs a factor for every resampled "
                             f"class; missing {sorted(missing)}")
        X = np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float64)
        n, d = X.shape
        constant = (4 / ((d + 2) * n)) ** (1 / (d + 4))
        out = X[drawn].copy()
        for label, factor in self.shrinkage_.items():
            if factor < 0:
                raise ValueError(f"RandomOverSampler: shrinkage for class {label!r} must be "
                                 f">= 0, got {factor}")
            rows = np.flatnonzero(y[drawn] == label)
            scale = factor * constant * X[y == label].std(axis=0)
            out[rows] += rng.randn(len(rows), d) * scale
        return out

    def __sklearn_tags__(self):
        return _labels_only_tags(super().__sklearn_tags__())


class _Synthetic(BaseOverSampler):
    """Shared ``_fit_resample`` of the kernels that return new rows and their labels."""

    def _fit_resample(self, X, y):
        X_new, y_new = self._generate(features(X), y, total_counts(self.sampling_strategy_, y),
                                      seed_of(self.random_state))
        return (np.vstack([X, np.asarray(X_new).astype(X.dtype, copy=False)]),
                np.hstack([y, np.asarray(y_new, dtype=y.dtype)]))

    def __sklearn_tags__(self):
        return dense_tags(super().__sklearn_tags__(), sample_indices=False)


class SMOTE(_Synthetic):
    """imbalanced-learn's ``SMOTE`` on ``torch.ops.rebalance.smote``: x_i + u (x_nn - x_i) with
    x_nn one of the ``k_neighbors`` nearest same-class rows; the same per-class counts as
    imbalanced-learn (other random draws). ``k_neighbors`` is an int (to give imbalanced-learn's
    own SMOTE our kNN, pass it :class:`NearestNeighbors`)."""

    _parameter_constraints: dict = {**BaseOverSampler._parameter_constraints,
                                    "k_neighbors": _NEIGHBORS, "random_state": ["random_state"]}

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.k_neighbors = k_neighbors

    def _generate(self, X, y, counts, seed):
        return resampling.smote(X, y, counts, self.k_neighbors, seed)


class ADASYN(_Synthetic):
    """imbalanced-learn's ``ADASYN`` on ``torch.ops.rebalance.adasyn``: row i of a targeted
    class gets rint(r_i / Σr · G) new rows, r_i the share of other classes among its
    ``n_neighbors`` nearest rows; the same per-class counts as imbalanced-learn."""

    _parameter_constraints: dict = {**BaseOverSampler._parameter_constraints,
                                    "n_neighbors": _NEIGHBORS, "random_state": ["random_state"]}

    def __init__(self, *, sampling_strategy="auto", random_state=None, n_neighbors=5):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.n_neighbors = n_neighbors

    def _generate(self, X, y, counts, seed):
        return resampling.adasyn(X, y, counts, self.n_neighbors, seed)
