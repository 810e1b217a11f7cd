#!/usr/bin/env python3
"""Prints a per-class comparison (markdown) of fmnist_lt runs from their --json outputs.
Usage: compare_runs.py RUN.json [RUN.json ...]"""

import json
import sys

CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Boot"]


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    names = [r["strategy"] for r in runs]
    print("\n| class | train samples | " + " | ".join(f"{n} F1" for n in names) + " |")
    print("|---|---|" + "---|" * len(runs))
    for c, label in enumerate(CLASSES):
        cells = " | ".join(f"{r['test']['f1'][c]:.3f}" for r in runs)
        print(f"| {c} {label} | {runs[0]['train_counts'][c]} | {cells} |")
    for key in ("macro_f1", "balanced_accuracy", "worst_recall"):
        cells = " | ".join(f"**{r['test'][key]:.3f}**" for r in runs)
        print(f"| {key} | | {cells} |")
    print("| seconds | | " + " | ".join(f"{r['seconds']:.0f}" for r in runs) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
