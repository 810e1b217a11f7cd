"""NumPy-friendly front end of the data-level resampling operators (``torch.ops.rebalance.*``).

Every function takes features ``X`` (n × d) and labels ``y`` (n) as NumPy arrays or tensors;
labels may be any sortable values (mapped to 0..C-1 in sorted order, as imbalanced-learn does).
``sampling_strategy`` takes imbalanced-learn's forms: a string, a float (binary only), a dict
{label: count} or, for cleaning methods, a list of labels. Results come back as NumPy arrays when
``X``/``y`` was NumPy, tensors otherwise; under-sampling returns kept row indices, over-sampling
returns the new rows and their labels.
"""

import functools
from typing import Tuple

import numpy as np
import torch

from ._warnings import relaying_warnings

_BUDGET = 64 << 20


def _named(fn):
    """Errors of the wrapped helper name it: "<function>: ..." (the ops already name themselves,
    the NumPy-side conversions and checks do not)."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError) as e:
            if str(e).startswith(name + ":"):
                raise
            raise type(e)(f"{name}: {e}") from e
    return wrapper


def _tensor(a, dtype=None):
    t = a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))
    return t if dtype is None else t.to(dtype)


def _out(t, like):
    return t if isinstance(like, torch.Tensor) else t.cpu().numpy()


def _labels(y):
    """(classes, int64 label tensor in 0..C-1)."""
    ya = y.cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if ya.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {ya.shape}")
    classes, inverse = np.unique(ya, return_inverse=True)
    return classes, torch.as_tensor(inverse.astype(np.int64))


def _strategy(sampling_strategy, classes):
    """Maps imbalanced-learn's sampling_strategy to the ops' (strategy, ratio, counts)."""
    if isinstance(sampling_strategy, str):
        return sampling_strategy, -1.0, None
    if isinstance(sampling_strategy, (float, np.floating)):
        return "auto", float(sampling_strategy), None
    counts = torch.full((len(classes),), -1, dtype=torch.int64)
    if isinstance(sampling_strategy, dict):
        items = sampling_strategy.items()
    elif isinstance(sampling_strategy, (list, tuple)):
        items = [(label, 0) for label in sampling_strategy]
    else:
        raise TypeError(f"sampling_strategy must be a str, float, dict or list, "
                        f"got {type(sampling_strategy).__name__}")
    for label, n in items:
        pos = np.searchsorted(classes, label)
        if pos >= len(classes) or classes[pos] != label:
            raise ValueError(f"sampling_strategy targets class {label!r}, "
                             f"which is not present in the labels")
        counts[pos] = int(n)
    return "auto", -1.0, counts


@_named
def knn(query, reference=None, k: int = 1, exclude_self: bool = False,
        memory_budget: int = _BUDGET):
    """Exact k-NN (squared Euclidean): (distances n×k, indices n×k); reference defaults to query
    (then exclude_self applies)."""
    q = _tensor(query)
    r = q if reference is None else _tensor(reference)
    d, i = torch.ops.rebalance.knn(q, r, k, exclude_self, memory_budget)
    return _out(d, query), _out(i, query)


@_named
def tomek_links(X, y, sampling_strategy="auto", memory_budget: int = _BUDGET):
    """Kept row indices after removing Tomek links (imbalanced-learn's TomekLinks)."""
    classes, yt = _labels(y)
    s, _, counts = _strategy(sampling_strategy, classes)
    return _out(torch.ops.rebalance.tomek_links(_tensor(X), yt, s, counts, memory_budget), X)


@_named
def edited_nearest_neighbours(X, y, sampling_strategy="auto", n_neighbors: int = 3,
                              kind_sel: str = "all", memory_budget: int = _BUDGET):
    """Kept row indices of edited nearest neighbours (imbalanced-learn's EditedNearestNeighbours)."""
    classes, yt = _labels(y)
    s, _, counts = _strategy(sampling_strategy, classes)
    return _out(torch.ops.rebalance.edited_nearest_neighbours(
        _tensor(X), yt, s, counts, n_neighbors, kind_sel, memory_budget), X)


@_named
def near_miss(X, y, sampling_strategy="auto", n_neighbors: int = 3,
              memory_budget: int = _BUDGET):
    """Kept row indices (sorted) of NearMiss-1 (imbalanced-learn's NearMiss(version=1))."""
    classes, yt = _labels(y)
    s, r, counts = _strategy(sampling_strategy, classes)
    return _out(torch.ops.rebalance.near_miss(
        _tensor(X), yt, s, r, counts, n_neighbors, memory_budget), X)


@_named
def random_under_sampler(y, sampling_strategy="auto", replacement: bool = False, seed: int = 0):
    """Kept row indices (sorted) of random under-sampling."""
    classes, yt = _labels(y)
    s, r, counts = _strategy(sampling_strategy, classes)
    return _out(torch.ops.rebalance.random_under_sampler(yt, s, r, counts, replacement, seed), y)


@_named
def random_over_sampler(y, sampling_strategy="auto", seed: int = 0):
    """Indices of the rows to append (drawn with replacement within each class)."""
    classes, yt = _labels(y)
    s, r, counts = _strategy(sampling_strategy, classes)
    return _out(torch.ops.rebalance.random_over_sampler(yt, s, r, counts, seed), y)


def _new_rows(op, X, y, sampling_strategy, *args) -> Tuple:
    classes, yt = _labels(y)
    s, r, counts = _strategy(sampling_strategy, classes)
    out = relaying_warnings(op, _tensor(X), yt, s, r, counts, *args)
    labels = classes[out[1].numpy()]
    return (_out(out[0], X), labels if not isinstance(y, torch.Tensor) else
            torch.as_tensor(labels)) + tuple(_out(t, X) for t in out[2:])


@_named
def smote(X, y, sampling_strategy="auto", k_neighbors: int = 5, seed: int = 0,
          memory_budget: int = _BUDGET):
    """SMOTE: (new rows, their labels)."""
    return _new_rows(torch.ops.rebalance.smote, X, y, sampling_strategy, k_neighbors, seed,
                     memory_budget)


@_named
def adasyn(X, y, sampling_strategy="auto", n_neighbors: int = 5, seed: int = 0,
           memory_budget: int = _BUDGET):
    """ADASYN: (new rows, their labels)."""
    return _new_rows(torch.ops.rebalance.adasyn, X, y, sampling_strategy, n_neighbors, seed,
                     memory_budget)


@_named
def smote_tomek(X, y, sampling_strategy="auto", k_neighbors: int = 5, seed: int = 0,
                memory_budget: int = _BUDGET):
    """SMOTE then Tomek cleaning: (new rows, their labels, kept indices into [X; new rows])."""
    return _new_rows(torch.ops.rebalance.smote_tomek, X, y, sampling_strategy, k_neighbors, seed,
                     memory_budget)


@_named
def cluster_centroids(X, y, sampling_strategy="auto", voting: str = "soft", max_iter: int = 300,
                      tol: float = 1e-4, seed: int = 0, memory_budget: int = _BUDGET):
    """ClusterCentroids: (rows, labels, source index or -1), imbalanced-learn's output order."""
    return _new_rows(torch.ops.rebalance.cluster_centroids, X, y, sampling_strategy, voting,
                     max_iter, tol, seed, memory_budget)


@_named
def kmeans(X, n_clusters: int, max_iter: int = 300, tol: float = 1e-4, seed: int = 0,
           memory_budget: int = _BUDGET):
    """k-means++ / Lloyd: (centres, labels, inertia)."""
    c, labels, inertia = torch.ops.rebalance.kmeans(_tensor(X), n_clusters, max_iter, tol, seed,
                                                   memory_budget)
    return _out(c, X), _out(labels, X), float(inertia)


def _register_fake_kernels():
    """Fake kernels (torch.compile, torch.export, FakeTensor) of the resampling ops whose output
    sizes depend on the data. Those sizes are unbacked symbolic ints
    (``torch.library.get_ctx().new_dynamic_size()``): a traced program may use the outputs but
    cannot branch on their length. ``knn`` and ``kmeans`` have fixed sizes and C++ Meta kernels
    beside their registration. PyTorch < 2.4 has no ``register_fake``: nothing to register."""
    register = getattr(torch.library, "register_fake", None)
    if register is None:
        return

    def length():
        return torch.library.get_ctx().new_dynamic_size()

    def indices(like):
        return like.new_empty((length(),), dtype=torch.long)

    def new_rows(x):
        m = length()
        return x.new_empty((m, x.shape[1])), x.new_empty((m,), dtype=torch.long)

    def fake(name, fn):
        register(f"rebalance::{name}", fn)

    fake("sampling_strategy", lambda y, *args: indices(y))
    fake("random_under_sampler", lambda y, *args: indices(y))
    fake("random_over_sampler", lambda y, *args: indices(y))
    for name in ("tomek_links", "edited_nearest_neighbours", "near_miss"):
        fake(name, lambda x, y, *args: indices(x))
    for name in ("smote", "adasyn"):
        fake(name, lambda x, y, *args: new_rows(x))
    fake("smote_tomek", lambda x, y, *args: (*new_rows(x), indices(x)))
    fake("cluster_centroids", lambda x, y, *args: (*new_rows(x), indices(x)))


_register_fake_kernels()
