#!/usr/bin/env python3
"""Epoch-plan time of rebalance.AdaptiveSampler ("dynamic" policy) against the peers measured
in the same run, one thread:

  torch.utils.data.WeightedRandomSampler drawing the same number of indices with per-sample
    weights n_c / N_c (same expected class counts): its tensor path (torch.multinomial with
    replacement, what its __iter__ calls) and list(iter(sampler)) (what a DataLoader consumes);
  torch.randperm(N), the floor for any shuffled epoch.

Ours: sampler.indices() (the int64 plan) and list(iter(sampler)). Prints a markdown table;
ratio = peer time / our time (> 1: we are faster). Median of --repeat runs.
Usage: bench_sampler.py [--n 10000000] [--classes 100] [--imbalance 100] [--repeat 3]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        del out
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--imbalance", type=float, default=100.0, help="N_max / N_min")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    # Long tail: N_c ∝ imbalance^(-c/(C-1)), rounded to sum to n.
    c = torch.arange(args.classes, dtype=torch.float64)
    share = args.imbalance ** (-c / max(args.classes - 1, 1))
    sizes = (share / share.sum() * args.n).floor().long()
    sizes[0] += args.n - int(sizes.sum())
    labels = torch.repeat_interleave(torch.arange(args.classes), sizes)
    labels = labels[torch.randperm(args.n)]

    sampler = rebalance.AdaptiveSampler(labels, args.classes, "dynamic", step=2.0, seed=1)
    # One evaluation: frequent classes score better, as in a long-tailed run.
    sampler.update(torch.linspace(0.95, 0.2, args.classes, dtype=torch.float64))
    draws = sampler.draw_counts()
    m = int(draws.sum())
    weights = (draws.double() / sizes.double())[labels]
    wrs = torch.utils.data.WeightedRandomSampler(weights, m, replacement=True)
    limit = 2 ** 24
    note = "" if args.n <= limit else f" (n > 2^24 = {limit}: torch.multinomial refuses it)"

    epoch = iter(range(1, 10 ** 9))

    def ours_tensor():
        sampler.set_epoch(next(epoch))
        return sampler.indices()

    def ours_list():
        sampler.set_epoch(next(epoch))
        return list(iter(sampler))

    rows = []
    t_ours = timed(ours_tensor, args.repeat)
    t_randperm = timed(lambda: torch.randperm(args.n), args.repeat)
    rows.append(("rebalance dynamic plan: indices()", t_ours, None))
    rows.append(("torch.randperm(N)", t_randperm, t_randperm / t_ours))
    try:
        t_mult = timed(lambda: torch.multinomial(weights, m, True), args.repeat)
        rows.append(("WeightedRandomSampler tensor path: torch.multinomial", t_mult,
                     t_mult / t_ours))
    except RuntimeError as err:
        print(f"torch.multinomial failed{note}: {err}")
    t_ours_list = timed(ours_list, args.repeat)
    rows.append(("rebalance: list(iter(sampler))", t_ours_list, None))
    try:
        t_wrs = timed(lambda: list(iter(wrs)), args.repeat)
        rows.append(("WeightedRandomSampler: list(iter(sampler))", t_wrs, t_wrs / t_ours_list))
    except RuntimeError as err:
        print(f"WeightedRandomSampler failed{note}: {err}")

    print(f"N = {args.n:,} labels, {args.classes} classes (N_max/N_min = {args.imbalance:g}), "
          f"plan of {m:,} indices, {torch.get_num_threads()} thread(s), median of "
          f"{args.repeat}\n")
    print("| method | time (s) | peer time / ours |")
    print("|---|---:|---:|")
    for name, t, ratio in rows:
        print(f"| {name} | {t:.3f} | {'' if ratio is None else f'{ratio:.2f}×'} |")
    print(f"\nours vs WeightedRandomSampler (DataLoader path): "
          f"{t_wrs / t_ours_list:.1f}× faster (goal >= 20×)" if "t_wrs" in locals() else "")
    print(f"ours indices() vs WeightedRandomSampler list(iter()): "
          f"{t_wrs / t_ours:.1f}× faster" if "t_wrs" in locals() else "")
    print(f"ours indices() / randperm(N): {t_ours / t_randperm:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
