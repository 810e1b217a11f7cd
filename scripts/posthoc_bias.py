#!/usr/bin/env python3
"""Post-hoc per-class logit biases fitted on the validation split, measured on the logits that
`fmnist_lt --dump-logits FILE` writes (the best epoch's validation and test logits).

Two biases b (added to the logits before the argmax), both fitted on validation only:

- ``rate``: the dynamic controller's fixed point applied to the decision rule. Repeat
  ``b -= eta (s - mean s)`` with ``s_c = log((predicted_c + 1/2) / (support_c + 1/2))`` (the
  sampler's log_prediction_ratio signal), eta decaying by 2% a step, until every class is
  predicted about as often as it occurs.
- ``soft``: prior matching (Saerens et al. 2002, with the target prior known): ``b`` such that
  the mean softmax(z + b) over the validation inputs equals the validation class shares, by the
  fixed-point iteration ``b += log(pi / q)``. It uses the validation labels only for pi.

Whether a bias helps is decided on validation alone: "cf" is the mean macro-F1 gain of a bias
fitted on one stratified half of the validation split and scored on the other (both ways, five
random halvings). ``--test`` adds the test macro-F1 and worst-class recall with the bias fitted on
the whole validation split; read them only after the decision.

    .venv/bin/python scripts/posthoc_bias.py runs/*.pt [--test]

Files are grouped into rows by their name up to the last "_s" (LABEL_PROFILE_sSEED.pt).
"""

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

import torch
from sklearn.metrics import f1_score, recall_score


def rate_bias(logits, labels, num_classes, eta=1.0, iterations=200):
    """Per-class biases that make each class predicted about as often as it occurs."""
    b = torch.zeros(num_classes, dtype=torch.float64)
    support = torch.bincount(labels, minlength=num_classes).double()
    for _ in range(iterations):
        predicted = torch.bincount((logits.double() + b).argmax(1), minlength=num_classes)
        s = torch.log((predicted.double() + 0.5) / (support + 0.5))
        b -= eta * (s - s.mean())
        eta *= 0.98
    return b


def soft_bias(logits, labels, num_classes, iterations=300):
    """Per-class biases with mean softmax(logits + b) equal to the label shares (sum b = 0)."""
    support = torch.bincount(labels, minlength=num_classes).double()
    prior = support / support.sum()
    b = torch.zeros(num_classes, dtype=torch.float64)
    for _ in range(iterations):
        q = torch.softmax(logits.double() + b, dim=1).mean(0)
        b += torch.log(prior / q)
    return b - b.mean()


BIASES = {"rate": rate_bias, "soft": soft_bias}


def scores(logits, labels, b=None):
    """(macro-F1, worst-class recall) of argmax(logits + b) by scikit-learn."""
    z = logits.double() if b is None else logits.double() + b
    predicted = z.argmax(1).numpy()
    return (f1_score(labels.numpy(), predicted, average="macro"),
            recall_score(labels.numpy(), predicted, average=None).min())


def crossfit_gain(logits, labels, fit, num_classes, halvings=5):
    """Mean macro-F1 gain of `fit` on one stratified half of (logits, labels) scored on the other."""
    gains = []
    for seed in range(halvings):
        generator = torch.Generator().manual_seed(seed)
        halves = ([], [])
        for c in range(num_classes):
            members = torch.nonzero(labels == c).flatten()
            members = members[torch.randperm(len(members), generator=generator)]
            halves[0].append(members[: len(members) // 2])
            halves[1].append(members[len(members) // 2:])
        a, b = torch.cat(halves[0]), torch.cat(halves[1])
        for train, held_out in ((a, b), (b, a)):
            bias = fit(logits[train], labels[train], num_classes)
            gains.append(scores(logits[held_out], labels[held_out], bias)[0]
                         - scores(logits[held_out], labels[held_out])[0])
    return statistics.fmean(gains)


def measure(path, show_test):
    """The figures of one dump file: validation macro-F1, cross-fitted gains, test figures."""
    val_logits, val_labels, test_logits, test_labels = torch.load(path, weights_only=True)
    num_classes = val_logits.shape[1]
    row = {"val": scores(val_logits, val_labels)[0]}
    for name, fit in BIASES.items():
        row[f"cf_{name}"] = crossfit_gain(val_logits, val_labels, fit, num_classes)
    if show_test:
        row["test"], row["worst"] = scores(test_logits, test_labels)
        for name, fit in BIASES.items():
            bias = fit(val_logits, val_labels, num_classes)
            row[f"test_{name}"], row[f"worst_{name}"] = scores(test_logits, test_labels, bias)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dumps", nargs="+", help="files of fmnist_lt --dump-logits")
    parser.add_argument("--test", action="store_true", help="add the test figures")
    args = parser.parse_args(argv)
    rows = defaultdict(list)
    for path in sorted(args.dumps):
        rows[Path(path).stem.rsplit("_s", 1)[0]].append(measure(path, args.test))
    for name, runs in rows.items():
        line = f"{name} (n={len(runs)})"
        for column in runs[0]:
            values = [run[column] for run in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            line += f"  {column} {statistics.fmean(values):+.4f} ± {spread:.4f}"
        print(line)


if __name__ == "__main__":
    main()
