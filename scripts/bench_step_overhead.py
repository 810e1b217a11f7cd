#!/usr/bin/env python3
"""Per-step overhead of rebalance in a training loop, against plain PyTorch in the same run.

plain:     torch.randperm order + F.cross_entropy
rebalance: AdaptiveSampler plan (square-root policy) + SoftmaxFocalLoss (gamma 1,
           effective-number class weights) + ClassMetrics.update on every batch's logits
Both train the recipe's CNN (scripts/fmnist_lt_common.Net) with SGD on 28×28 inputs, batch 64,
one thread; also a tiny linear model, where the plugin's share is largest. Runs alternate and
the median of --repeats is reported; the goal is an overhead under 5% per step on the CNN.
First, each piece alone (best of 5 loops): what it adds per step, free of the model's noise.

    .venv/bin/python scripts/bench_step_overhead.py [--steps 200] [--repeats 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402
from fmnist_lt_common import Net, long_tail_counts  # noqa: E402


def make_data(counts):
    y = torch.cat([torch.full((n,), c, dtype=torch.long) for c, n in enumerate(counts)])
    x = torch.rand(len(y), 1, 28, 28)
    return x, y


def run(model_fn, x, y, counts, steps, batch, ours):
    torch.manual_seed(0)
    model = model_fn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if ours:
        sampler = rebalance.AdaptiveSampler(y, 10, "power", seed=0)
        weight = rebalance.class_weights(torch.tensor(counts), "effective_number").float()
        loss_fn = rebalance.SoftmaxFocalLoss(gamma=1.0, class_weight=weight)
        metrics = rebalance.ClassMetrics(10)
    start = time.perf_counter()
    done, epoch = 0, 0
    while done < steps:
        if ours:
            sampler.set_epoch(epoch)
            order = sampler.indices()
        else:
            order = torch.randperm(len(y))
        epoch += 1
        for b in range(0, len(order), batch):
            idx = order[b:b + batch]
            target = y[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(x[idx])
            if ours:
                loss = loss_fn(logits, target)
                metrics.update(logits.detach(), target)
            else:
                loss = F.cross_entropy(logits, target)
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    return (time.perf_counter() - start) / steps


def component_costs(y, counts, batch, reps=2000):
    """Microseconds per step of each plugin piece and of its plain counterpart on (batch, 10)
    logits: the epoch plan amortised over its batches, the loss forward + backward, and the
    metrics update (which plain PyTorch does not do at all)."""
    logits = torch.randn(batch, 10, requires_grad=True)
    target = y[torch.randperm(len(y))[:batch]]
    weight = rebalance.class_weights(torch.tensor(counts), "effective_number").float()
    focal = rebalance.SoftmaxFocalLoss(gamma=1.0, class_weight=weight)
    metrics = rebalance.ClassMetrics(10)
    sampler = rebalance.AdaptiveSampler(y, 10, "power", seed=0)
    batches = (len(y) + batch - 1) // batch

    def per_call(fn, n):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best = min(best, (time.perf_counter() - start) / n)
        return best * 1e6

    def plan():
        sampler.set_epoch(1)
        sampler.indices()

    return {
        "epoch plan": (per_call(plan, 20) / batches,
                       per_call(lambda: torch.randperm(len(y)), 20) / batches),
        "loss fwd+bwd": (per_call(lambda: focal(logits, target).backward(), reps),
                         per_call(lambda: F.cross_entropy(logits, target).backward(), reps)),
        "metrics update": (per_call(lambda: metrics.update(logits.detach(), target), reps), 0.0),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    counts = long_tail_counts(100)
    x, y = make_data(counts)
    models = {"recipe CNN": Net,
              "linear 784->10": lambda: torch.nn.Sequential(torch.nn.Flatten(),
                                                            torch.nn.Linear(784, 10))}
    print(f"{len(y)} samples, batch {args.batch_size}, {args.steps} steps, median of "
          f"{args.repeats} alternating runs, 1 thread")
    costs = component_costs(y, counts, args.batch_size)
    for name, (ours, plain) in costs.items():
        print(f"{name:<16} rebalance {ours:7.1f} us/step   plain {plain:7.1f} us/step")
    extra = sum(o - p for o, p in costs.values())
    print(f"{'sum':<16} rebalance adds {extra:+.1f} us/step", flush=True)
    for name, model_fn in models.items():
        times = {False: [], True: []}
        for _ in range(args.repeats):
            for ours in (False, True):
                times[ours].append(run(model_fn, x, y, counts, args.steps, args.batch_size, ours))
        plain, mine = statistics.median(times[False]), statistics.median(times[True])
        print(f"{name:<16} plain {plain * 1e3:7.3f} ms/step   rebalance {mine * 1e3:7.3f} ms/step"
              f"   overhead {100 * (mine - plain) / plain:+6.2f}%  "
              f"({(mine - plain) * 1e6:+.0f} us/step)", flush=True)


if __name__ == "__main__":
    main()
