"""A scikit-learn ``NearestNeighbors`` look-alike over rebalance's exact kNN op."""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import resampling
from ._common import features


class NearestNeighbors(BaseEstimator):
    """Exact Euclidean k-nearest neighbours (``torch.ops.rebalance.knn``) with scikit-learn's
    ``fit`` / ``kneighbors`` / ``kneighbors_graph``, so imbalanced-learn's samplers accept it::

        imblearn.over_sampling.SMOTE(k_neighbors=NearestNeighbors(n_neighbors=6))

    (imbalanced-learn asks an object for ``k_neighbors + 1`` neighbours itself: the query row
    comes back first.) Ties go to the lowest index; distances are Euclidean, as scikit-learn's.

    Args:
        n_neighbors: neighbours returned by default.
        memory_budget: bytes the kernel's distance blocks may use.
        n_jobs: accepted for scikit-learn compatibility; ATen's thread count applies.
    """

    def __init__(self, n_neighbors=5, *, memory_budget=64 << 20, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.memory_budget = memory_budget
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Stores the reference rows X (n × d)."""
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._fit_X = features(X)
        self.n_samples_fit_ = X.shape[0]
        return self

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """(distances, indices), each (queries × n_neighbors), nearest first. X=None queries
        the fitted rows, each without itself (scikit-learn's convention)."""
        check_is_fitted(self, "_fit_X")
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"NearestNeighbors: n_neighbors must be a positive int, got {k!r}")
        if X is None:
            limit = self.n_samples_fit_ - 1
        else:
            X = features(validate_data(self, X, dtype=[np.float64, np.float32], reset=False))
            limit = self.n_samples_fit_
        if k > limit:
            raise ValueError(f"NearestNeighbors: expected n_neighbors <= n_samples_fit = "
                             f"{limit}, got n_neighbors = {k}")
        query = self._fit_X if X is None else X.astype(self._fit_X.dtype, copy=False)
        dist, idx = resampling.knn(query, self._fit_X, int(k), exclude_self=X is None,
                                   memory_budget=self.memory_budget)
        if not return_distance:
            return idx
        return np.sqrt(np.maximum(dist, 0)), idx

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        """Sparse CSR (queries × n_samples_fit) graph: ones or distances at the neighbours."""
        if mode not in ("connectivity", "distance"):
            raise ValueError(f"NearestNeighbors: mode must be 'connectivity' or 'distance', "
                             f"got {mode!r}")
        dist, idx = self.kneighbors(X, n_neighbors, return_distance=True)
        n_queries, k = idx.shape
        data = np.ones(n_queries * k) if mode == "connectivity" else dist.ravel()
        indptr = np.arange(0, n_queries * k + 1, k)
        return sparse.csr_matrix((data, idx.ravel(), indptr),
                                 shape=(n_queries, self.n_samples_fit_))
