#!/usr/bin/env python3
"""Benchmark rebalance::confusion_matrix against sklearn and torch.bincount, one thread.

    REBALANCE_BUILD_DIR=<build> PYTHONPATH=plugin/python .venv/bin/python scripts/bench_metrics.py

Prints the best of `--repeat` timings of each method and the ratios, measured in the same run.
"""
import argparse
import time

import numpy as np
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

import rebalance  # noqa: F401


def best_time(fn, repeat):
    out, best = None, float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bincount(target, pred, C):
    return torch.bincount(target * C + pred, minlength=C * C).view(C, C)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000_000, help="predictions")
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--logit-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sklearn-repeat", type=int, default=1)
    parser.add_argument("--imbalance", type=float, default=0.0,
                        help="Zipf exponent of the class distribution (0 = uniform)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    C, g = args.classes, torch.Generator().manual_seed(0)
    probs = torch.arange(1, C + 1, dtype=torch.float64).pow(-args.imbalance)
    target = torch.multinomial(probs, args.n, replacement=True, generator=g)
    correct = torch.rand(args.n, generator=g) < 0.7
    pred = torch.where(correct, target, torch.randint(0, C, (args.n,), generator=g))

    t_ours, ours = best_time(lambda: torch.ops.rebalance.confusion_matrix(pred, target, C),
                             args.repeat)
    t_bin, ref = best_time(lambda: bincount(target, pred, C), args.repeat)
    y, p, labels = target.numpy(), pred.numpy(), np.arange(C)
    t_sk, sk = best_time(lambda: sk_confusion_matrix(y, p, labels=labels), args.sklearn_repeat)
    assert ours.equal(ref) and np.array_equal(ours.numpy(), sk)
    print(f"predictions: N={args.n:,} C={C} imbalance={args.imbalance} threads=1")
    print(f"  rebalance.confusion_matrix {t_ours * 1e3:9.1f} ms")
    print(f"  torch.bincount composite   {t_bin * 1e3:9.1f} ms  ratio {t_bin / t_ours:6.2f}x")
    print(f"  sklearn confusion_matrix   {t_sk * 1e3:9.1f} ms  ratio {t_sk / t_ours:6.2f}x")

    rows = args.logit_rows
    logits = torch.randn(rows, C, generator=g)
    target = target[:rows]
    t_ours, ours = best_time(lambda: torch.ops.rebalance.confusion_matrix(logits, target, C),
                             args.repeat)
    t_ref, ref = best_time(lambda: bincount(target, logits.argmax(1), C), args.repeat)
    assert ours.equal(ref)
    print(f"logits: {rows:,} x {C} float32, threads=1")
    print(f"  rebalance.confusion_matrix {t_ours * 1e3:9.1f} ms")
    print(f"  argmax + bincount          {t_ref * 1e3:9.1f} ms  ratio {t_ref / t_ours:6.2f}x")


if __name__ == "__main__":
    main()
