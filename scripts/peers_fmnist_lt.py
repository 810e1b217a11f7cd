#!/usr/bin/env python3
"""What a user does today in plain PyTorch on long-tailed Fashion-MNIST, on the same split
construction, CNN, optimizer and optimizer-step budget as examples/fmnist_lt.cpp:

  ce          cross-entropy
  weighted_ce inverse-frequency weighted cross-entropy
  wrs         WeightedRandomSampler (per-sample weight 1/N_c) + cross-entropy
  tv_focal    torchvision.ops.sigmoid_focal_loss on one-hot targets (alpha 0.25, gamma 2)
  cb_focal    class-balanced softmax focal loss (effective number, beta 0.999, gamma 1), by hand
  drw         cross-entropy, then effective-number weights at LR x 0.1 for the last quarter
  us_ft       under-sample every class to the smallest, then fine-tune on the original data
              at LR x 0.1 for the last quarter (by hand)

Writes the same JSON as fmnist_lt (--json), so scripts/summarize_runs.py tables both.
Usage: peers_fmnist_lt.py --strategy NAME [--profile PROFILE] [--seed 0] [--epochs 8]
                         [--json FILE]
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F
from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

from torchvision_compat import import_torchvision
from fmnist_lt_common import (DATA_DIR, PROFILES, Net, load_split, long_tail_counts,
                              long_tail_split, predict)

torchvision = import_torchvision()

STRATEGIES = ["ce", "weighted_ce", "wrs", "tv_focal", "cb_focal", "drw", "us_ft"]


def effective_number_weights(counts, beta=0.999):
    n = torch.tensor(counts, dtype=torch.float64)
    w = (1 - beta) / (1 - beta ** n)
    return (w * len(counts) / w.sum()).float()


def evaluate(model, x, y):
    y, pred = y.numpy(), predict(model, x).numpy()
    recall = recall_score(y, pred, average=None, labels=range(10), zero_division=0)
    return {"macro_f1": f1_score(y, pred, average="macro"),
            "balanced_accuracy": balanced_accuracy_score(y, pred),
            "worst_recall": float(recall.min()),
            "f1": f1_score(y, pred, average=None, labels=range(10), zero_division=0).tolist(),
            "recall": recall.tolist()}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strategy", choices=STRATEGIES, required=True)
    parser.add_argument("--data", default=DATA_DIR)
    parser.add_argument("--imbalance-ratio", type=float, default=100)
    parser.add_argument("--profile", choices=PROFILES, default="exp",
                        help="class counts (fmnist_lt_common.long_tail_counts)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-per-class", type=int, default=100,
                        help="validation images per class (fmnist_lt --val-per-class)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.val_per_class < 1:
        parser.error(f"--val-per-class must be >= 1, got {args.val_per_class}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    images, labels = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    counts = long_tail_counts(args.imbalance_ratio, args.profile)
    train_idx, val_idx = long_tail_split(labels, counts, args.seed, args.val_per_class)
    train_x, train_y = images[train_idx], labels[train_idx]
    val_x, val_y = images[val_idx], labels[val_idx]
    n = len(train_y)
    total_steps = args.epochs * ((n + args.batch_size - 1) // args.batch_size)
    late = total_steps - total_steps * (args.epochs - args.epochs // 4) // args.epochs

    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    inverse = 1.0 / torch.tensor(counts, dtype=torch.float64)
    inverse = (inverse * 10 / inverse.sum()).float()
    cb = effective_number_weights(counts)
    gen = torch.Generator().manual_seed(args.seed + 1)

    def loss_fn(logits, y, step):
        s = args.strategy
        if s == "weighted_ce":
            return F.cross_entropy(logits, y, weight=inverse)
        if s == "tv_focal":
            onehot = F.one_hot(y, 10).float()
            return torchvision.ops.sigmoid_focal_loss(logits, onehot, 0.25, 2.0, "sum") / len(y)
        if s == "cb_focal":
            logp = F.log_softmax(logits, 1).gather(1, y[:, None]).squeeze(1)
            w = cb[y]
            return (-(w * (1 - logp.exp()) * logp)).sum() / w.sum()
        if s == "drw" and step >= total_steps - late:
            return F.cross_entropy(logits, y, weight=cb)
        return F.cross_entropy(logits, y)

    def epoch_order(step):
        if args.strategy == "wrs":
            weights = (1.0 / torch.tensor(counts, dtype=torch.float64))[train_y]
            sampler = torch.utils.data.WeightedRandomSampler(weights, n, replacement=True,
                                                             generator=gen)
            return torch.tensor(list(sampler))
        if args.strategy == "us_ft" and step < total_steps - late:
            smallest = min(counts)
            keep = torch.cat([torch.nonzero(train_y == c).flatten()[
                torch.randperm(counts[c], generator=gen)[:smallest]] for c in range(10)])
            return keep[torch.randperm(len(keep), generator=gen)]
        return torch.randperm(n, generator=gen)

    step, best, best_state, val_curve = 0, -1.0, None, []
    start = time.time()
    while step < total_steps:
        if args.strategy in ("drw", "us_ft") and step >= total_steps - late:
            for group in opt.param_groups:
                group["lr"] = args.lr * 0.1
        order = epoch_order(step)
        for b in range(0, len(order), args.batch_size):
            idx = order[b:b + args.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx], step)
            loss.backward()
            opt.step()
            step += 1
            if step >= total_steps or (args.strategy in ("drw", "us_ft")
                                       and step == total_steps - late):
                break
        report = evaluate(model, val_x, val_y)
        val_curve.append(report["macro_f1"])
        if report["macro_f1"] > best:
            best = report["macro_f1"]
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        print(f"step {step}/{total_steps} val macro-F1 {report['macro_f1']:.4f}", flush=True)
    model.load_state_dict(best_state)
    test = evaluate(model, test_x, test_y)
    seconds = time.time() - start
    print(f"RESULT strategy=peer_{args.strategy} macro_f1={test['macro_f1']:.4f} "
          f"balanced_accuracy={test['balanced_accuracy']:.4f} "
          f"worst_recall={test['worst_recall']:.4f} seconds={seconds:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"strategy": f"peer_{args.strategy}", "seed": args.seed,
                       "imbalance_ratio": args.imbalance_ratio, "profile": args.profile,
                       "steps": total_steps,
                       "seconds": seconds, "test": test, "val_macro_f1": val_curve,
                       "train_counts": counts}, f)


if __name__ == "__main__":
    main()
