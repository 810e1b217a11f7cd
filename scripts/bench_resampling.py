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


def bench_knn_low_dim(n, dims):
    """Exact kNN (k = 5, self excluded) on few features, against scikit-learn's
    NearestNeighbors (algorithm="auto": a k-d tree at these sizes): the search under Tomek
    links, ENN, SMOTE and ADASYN on tables such as Shuttle (9 features)."""
    from sklearn.neighbors import NearestNeighbors
    for d in dims:
        x, _ = data(n, d, [0.9, 0.1])
        xt = torch.from_numpy(x)
        t_ours, (_, idx) = timed(lambda: torch.ops.rebalance.knn(xt, xt, 5, True), 3)
        nn = NearestNeighbors(n_neighbors=5).fit(x)
        t_ref, ref = timed(lambda: nn.kneighbors(return_distance=False), 3)
        same = np.array_equal(idx.numpy(), ref)
        report(f"kNN k=5 {n}x{d} vs NearestNeighbors", t_ours, t_ref,
               f"same neighbours: {same}")


def bench_shuttle():
    """Every kNN-based method on one Shuttle training fold (the tabular recipe's fold 0:
    standardized, 41,760 rows x 9 features, many repeated rows), against imbalanced-learn."""
    from imblearn.combine import SMOTETomek
    from imblearn.over_sampling import ADASYN, SMOTE
    from imblearn.under_sampling import EditedNearestNeighbours, NearMiss, TomekLinks
    import train_tabular
    ops = train_tabular.load_tabular_ops()
    x, y, _, classes = ops.read_table(train_tabular.SHUTTLE, "Class")
    xt, yt = ops.fold(x, y, len(classes), 5, 0, 0, 0.1)[:2]
    x, y = xt.numpy(), yt.numpy()
    rs = rebalance.resampling
    methods = [
        ("TomekLinks", lambda: rs.tomek_links(xt, yt), TomekLinks(), "kept"),
        ("ENN (k=3)", lambda: rs.edited_nearest_neighbours(xt, yt, n_neighbors=3),
         EditedNearestNeighbours(n_neighbors=3), "kept"),
        ("NearMiss-1 (k=3)", lambda: rs.near_miss(xt, yt, n_neighbors=3),
         NearMiss(version=1, n_neighbors=3), "counts"),
        ("SMOTE (k=5)", lambda: rs.smote(xt, yt), SMOTE(random_state=0), "counts"),
        ("ADASYN (k=5)", lambda: rs.adasyn(xt, yt), ADASYN(random_state=0), "counts"),
        ("SMOTE+Tomek (k=5)", lambda: rs.smote_tomek(xt, yt), SMOTETomek(random_state=0),
         "counts"),
    ]
    for name, ours, theirs, check in methods:
        t_ours, out = timed(ours)
        t_ref, (_, y_res) = timed(lambda: theirs.fit_resample(x, y))
        if check == "kept":
            note = f"same kept rows: {np.array_equal(np.sort(out.numpy()), np.sort(theirs.sample_indices_))}"
        else:
            labels = y[out.numpy()] if name.startswith("NearMiss") else (
                np.concatenate([y, out[1].numpy()]) if len(out) == 2 else
                np.concatenate([y, out[1].numpy()])[out[2].numpy()])
            counts = np.bincount(labels, minlength=len(classes))
            ref = np.bincount(y_res, minlength=len(classes))
            note = f"counts {'equal' if np.array_equal(counts, ref) else f'{counts} vs {ref}'}"
        report(f"Shuttle fold {name}", t_ours, t_ref, note)


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
    p.add_argument("--knn", type=int, default=40000, help="rows for the low-dimensional kNN")
    p.add_argument("--only", choices=["tomek", "smote", "cc", "knn", "shuttle"],
                   help="run one benchmark (shuttle: every kNN-based method on a Shuttle "
                   "training fold; needs build/librebalance_tabular.so)")
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
    if args.only in (None, "knn"):
        bench_knn_low_dim(args.knn, (2, 4, 9, 12, 16))
    if args.only in (None, "shuttle"):
        bench_shuttle()


if __name__ == "__main__":
    main()
