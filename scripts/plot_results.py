#!/usr/bin/env python3
"""PNG plots of Fashion-MNIST-LT runs (the JSON files of fmnist_lt, train_fmnist_lt.py and
peers_fmnist_lt.py, e.g. results/compare/*.json from scripts/compare.sh):

  per_class_f1.png      test F1 per class (columns) and strategy (rows), mean over seeds
  val_macro_f1.png      validation macro-F1 after each epoch against optimizer steps (seed 0)
  draw_counts.png       per-class draws of each epoch's sampling plan, one panel per strategy

    .venv/bin/python scripts/plot_results.py results/compare/*.json --out docs/images
"""

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Boot"]


def load(paths):
    runs = defaultdict(list)
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        runs[run["strategy"]].append(run)
    return runs


def epoch_steps(run, batch_size):
    """Optimizer steps at each epoch's end: from the plan sizes where the run recorded them
    (an epoch is cut where its phase's step budget ends), else evenly spread."""
    n_epochs = len(run["val_macro_f1"])
    if "draw_counts" not in run:
        return [run["steps"] * (e + 1) / n_epochs for e in range(n_epochs)]
    steps, total = [], 0
    for draws in run["draw_counts"][:n_epochs]:
        total = min(run["steps"], total + math.ceil(sum(draws) / batch_size))
        steps.append(total)
    steps[-1] = run["steps"]
    return steps


def plot_per_class_f1(runs, out):
    names = sorted(runs, key=lambda s: np.mean([r["test"]["macro_f1"] for r in runs[s]]))
    f1 = np.array([np.mean([r["test"]["f1"] for r in runs[s]], axis=0) for s in names])
    fig, ax = plt.subplots(figsize=(10, 0.38 * len(names) + 1.6))
    image = ax.imshow(f1, cmap="viridis", vmin=0.4, vmax=1.0, aspect="auto")
    for i in range(f1.shape[0]):
        for j in range(f1.shape[1]):
            ax.text(j, i, f"{f1[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if f1[i, j] < 0.75 else "black")
    counts = next(iter(runs.values()))[0].get("train_counts")
    labels = [f"{c}\n({n})" for c, n in zip(CLASSES, counts)] if counts else CLASSES
    ax.set_xticks(range(len(CLASSES)), labels, fontsize=7)
    seeds = {s: len(runs[s]) for s in names}
    ax.set_yticks(range(len(names)),
                  [f"{s} ({np.mean([r['test']['macro_f1'] for r in runs[s]]):.3f}, "
                   f"{seeds[s]} seed{'s' if seeds[s] > 1 else ''})" for s in names], fontsize=8)
    ax.set_title("Test F1 per class (train images per class below the name); "
                 "rows by macro-F1", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.03)
    fig.tight_layout()
    fig.savefig(out / "per_class_f1.png", dpi=110)
    plt.close(fig)


def plot_val_curves(runs, out, batch_size, strategies):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for s in strategies:
        run = next((r for r in runs.get(s, []) if r["seed"] == 0), None)
        if run is None:
            continue
        ax.plot(epoch_steps(run, batch_size), run["val_macro_f1"], marker="o", markersize=3,
                label=s, linestyle="--" if s.startswith("peer_") else "-")
    ax.set_xlabel("optimizer steps")
    ax.set_ylabel("validation macro-F1")
    ax.set_title("Validation macro-F1 after each epoch (seed 0)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "val_macro_f1.png", dpi=110)
    plt.close(fig)


def plot_draw_counts(runs, out, strategies):
    shown = [s for s in strategies if any("draw_counts" in r for r in runs.get(s, []))]
    if not shown:
        return
    fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.6), squeeze=False)
    colors = plt.cm.tab10(np.arange(10))
    for ax, s in zip(axes[0], shown):
        run = next(r for r in runs[s] if "draw_counts" in r)
        draws = np.array(run["draw_counts"])
        epochs = np.arange(1, len(draws) + 1)
        for c in range(draws.shape[1]):
            ax.plot(epochs, draws[:, c], color=colors[c], marker=".", label=CLASSES[c])
        ax.set_yscale("log")
        ax.set_title(s, fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("samples drawn per class")
    axes[0][-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("Per-class draws of each epoch's sampling plan (seed 0)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "draw_counts.png", dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="JSON files")
    parser.add_argument("--out", default="results/plots")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--curves", nargs="*",
                        default=["ce", "recommended", "undersample_then_finetune", "drs",
                                 "peer_wrs", "peer_us_ft"])
    parser.add_argument("--draws", nargs="*",
                        default=["recommended", "undersample_then_finetune", "adaptive_sampling"])
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = load(args.runs)
    plot_per_class_f1(runs, out)
    plot_val_curves(runs, out, args.batch_size, args.curves)
    plot_draw_counts(runs, out, args.draws)
    print(f"wrote {', '.join(p.name for p in sorted(out.glob('*.png')))} to {out}")


if __name__ == "__main__":
    main()
