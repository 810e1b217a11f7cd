#!/usr/bin/env python3
"""Benchmark of rebalance's resampling operators against the installed imbalanced-learn, same run.

float32 features from sklearn's make_classification, --threads N (default 1) for both
(torch.set_num_threads and threadpoolctl for scikit-learn's OpenMP/BLAS pools). Prints seconds (SMOTE: best of 3 calls
on each side) and the speed-up ratio (imbalanced-learn time / rebalance time), and checks that
both agree (Tomek links: identical kept indices; SMOTE: identical per-class counts;
ClusterCentroids: identical counts and the k-means inertia ratio).

    .venv/bin/python scripts/bench_resampling.py                 # defaults, a few minutes
    .venv/bin/python scripts/bench_resampling.py --issue-sizes   # Tomek 50k×64 (imblearn ~20 s)
    .venv/bin/python scripts/bench_resampling.py --tomek-large   # ours only, 500k×64, peak RSS
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402


def data(n, d, weights, seed=0):
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=n, n_features=d, n_informative=min(d, 16),
                               n_redundant=0, weights=weights, flip_y=0.01, random_state=seed)
    return x.astype(np.float32), y


def timed(fn, repeat=1):
    """(best wall time of `repeat` calls, the last result)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def report(name, ours, theirs, note=""):
    print(f"{name:<34} rebalance {ours:8.3f} s   imblearn {theirs:8.3f} s   "
          f"speed-up {theirs / ours:6.1f}x  {note}", flush=True)


def bench_tomek(n, d):
    from imblearn.under_sampling import TomekLinks
    x, y = data(n, d, [0.9, 0.1])
    t_ours, kept = timed(lambda: torch.ops.rebalance.tomek_links(torch.from_numpy(x),
                                                                 torch.from_numpy(y)))
    sampler = TomekLinks()
    t_ref, _ = timed(lambda: sampler.fit_resample(x, y))
    same = np.array_equal(kept.numpy(), sampler.sample_indices_)
    report(f"TomekLinks {n}x{d}", t_ours, t_ref, f"same kept indices: {same}")


def bench_smote(n, d):
    from imblearn.over_sampling import SMOTE
    x, y = data(n, d, [0.9, 0.1])
    # Sub-second on both sides: best of 3 calls each, so one-off costs and load spikes do not
    # decide the ratio.
    t_ours, (_, y_new) = timed(lambda: torch.ops.rebalance.smote(torch.from_numpy(x),
                                                                torch.from_numpy(y)), 3)
    t_ref, (_, y_res) = timed(lambda: SMOTE(random_state=0).fit_resample(x, y), 3)
    same = np.array_equal(np.bincount(y_new.numpy(), minlength=2) + np.bincount(y),
                          np.bincount(y_res))
    report(f"SMOTE {n}x{d}", t_ours, t_ref, f"same counts: {same}")


def inertia(x, y, rows, labels):
    total = 0.0
    for c in np.unique(y):
        xc = torch.from_numpy(x[y == c]).double()
        centres = torch.from_numpy(np.asarray(rows)[np.asarray(labels) == c]).double()
        total += float(torch.cdist(xc, centres).pow(2).min(1).values.sum())
    return total


def bench_cluster_centroids(n, d, n_init):
    from imblearn.under_sampling import ClusterCentroids
    from sklearn.cluster import KMeans
    x, y = data(n, d, [0.9, 0.1])
    t_ours, (rows, labels, _) = timed(lambda: torch.ops.rebalance.cluster_centroids(
        torch.from_numpy(x), torch.from_numpy(y)))
    estimator = KMeans(n_init=n_init, random_state=0)
    t_ref, (x_res, y_res) = timed(lambda: ClusterCentroids(
        estimator=estimator, random_state=0).fit_resample(x, y))
    same = np.array_equal(np.bincount(labels.numpy()), np.bincount(y_res))
    ratio = inertia(x, y, rows.numpy(), labels.numpy()) / inertia(x, y, x_res, y_res)
    report(f"ClusterCentroids {n}x{d} (n_init={n_init})", t_ours, t_ref,
           f"same counts: {same}, inertia ratio {ratio:.3f}")


def bench_tomek_large(n, d):
    x, y = data(n, d, [0.9, 0.1])
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    t_ours, kept = timed(lambda: torch.ops.rebalance.tomek_links(xt, yt))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"TomekLinks {n}x{d} (rebalance only)  {t_ours:8.2f} s   removed {n - kept.numel()}   "
          f"peak RSS {peak:.2f} GiB (before the op {before:.2f} GiB; goal < 2 GiB)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tomek", type=int, default=20000, help="rows for Tomek links (64 features)")
    p.add_argument("--smote", type=int, default=50000, help="rows for SMOTE (64 features)")
    p.add_argument("--cc", type=int, default=20000, help="rows for ClusterCentroids (32 features)")
    p.add_argument("--cc-n-init", default="auto",
                   help="imblearn KMeans n_init: \"auto\" (the installed scikit-learn's default; "
                   "1 for k-means++ since 1.4) or a count (10 = scikit-learn 1.2's default)")
    p.add_argument("--threads", type=int, default=1, help="threads for both sides")
    p.add_argument("--issue-sizes", action="store_true", help="Tomek 50k×64, SMOTE 50k×64, CC 20k×32")
    p.add_argument("--tomek-large", action="store_true", help="only ours, Tomek 500k×64, peak RSS")
    p.add_argument("--only", choices=["tomek", "smote", "cc"], help="run one benchmark")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_info, threadpool_limits
    import imblearn
    import sklearn
    threadpool_limits(args.threads)
    if args.cc_n_init != "auto":
        args.cc_n_init = int(args.cc_n_init)
    blas = sorted({i.get("internal_api", "?") for i in threadpool_info() if i.get("user_api") == "blas"})
    print(f"torch {torch.__version__}, imbalanced-learn {imblearn.__version__}, scikit-learn "
          f"{sklearn.__version__}, {args.threads} thread(s), float32, "
          f"BLAS: {', '.join(blas) or 'unknown'}", flush=True)
    if args.tomek_large:
        bench_tomek_large(500000, 64)
        return
    if args.issue_sizes:
        args.tomek, args.smote, args.cc = 50000, 50000, 20000
    if args.only in (None, "tomek"):
        bench_tomek(args.tomek, 64)
    if args.only in (None, "smote"):
        bench_smote(args.smote, 64)
    if args.only in (None, "cc"):
        bench_cluster_centroids(args.cc, 32, args.cc_n_init)


if __name__ == "__main__":
    main()
