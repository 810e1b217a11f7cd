#!/usr/bin/env python3
"""Mean +- std over folds x repeats of the runs that scripts/train_tabular.py (or
build/tabular_lt --json) wrote, one table per JSON file, and a per-class recall plot.

    .venv/bin/python scripts/compare_tabular.py shuttle.json satellite.json \\
        --plot docs/images/tabular_recall.png

The table is sorted by mean test macro-F1; "val macro-F1" is the validation macro-F1 of the
tested round (the validation part of each training fold), "pooled val" the macro-F1 of those
rounds' validation confusion matrices summed over all runs of the row; "resample s" is the mean
time of the data-level method on one training fold. The last lines name the rebalance strategy and
the peer selected on validation (highest pooled validation macro-F1: the claim the README makes)
and, for reference only, the best of each on the test folds.

Why pooled: a validation part holds round(0.1 n_c) rows of each class, two or three of the
smallest classes on Satellite, so one run's macro-F1 moves by tens of points when one of them
flips; summed over the 15 runs the smallest class has 30-45 validation rows.
"""

import argparse
import json
import statistics
from pathlib import Path

PEERS = ("mlp_ce", "imblearn_smote_mlp", "logreg_balanced", "hist_gbdt", "balanced_rf")
METRICS = ("macro_f1", "balanced_accuracy", "g_mean", "worst_recall")


def by_strategy(results):
    """{strategy: [runs]} in the order the strategies first appear."""
    groups = {}
    for run in results["runs"]:
        groups.setdefault(run["strategy"], []).append(run)
    return groups


def mean_std(values):
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def ranked(results):
    """[(strategy, runs)] sorted by mean macro-F1, best first."""
    return sorted(by_strategy(results).items(),
                  key=lambda item: -statistics.fmean(r["macro_f1"] for r in item[1]))


def pooled_macro_f1(confusions):
    """Macro-F1 of the sum of C x C confusion matrices (rows: true class) over the classes that
    occur or are predicted; F1_c = 2 tp / (2 tp + fp + fn)."""
    size = len(confusions[0])
    total = [[sum(m[i][j] for m in confusions) for j in range(size)] for i in range(size)]
    scores = []
    for c in range(size):
        tp = total[c][c]
        wrong = sum(total[c]) + sum(row[c] for row in total) - 2 * tp  # fn + fp
        if tp + wrong > 0:
            scores.append(2 * tp / (2 * tp + wrong))
    return statistics.fmean(scores) if scores else 0.0


def validation_score(runs):
    """The selection signal of one row: pooled validation macro-F1 when every run recorded its
    validation confusion matrix, else the mean validation macro-F1 (older JSON files)."""
    if all(r.get("val_confusion") for r in runs):
        return pooled_macro_f1([r["val_confusion"] for r in runs])
    return statistics.fmean(r["val_macro_f1"] for r in runs)


def selected(results):
    """(rebalance strategy, peer) with the highest validation_score."""
    scores = {name: validation_score(runs) for name, runs in by_strategy(results).items()}
    best = max((n for n in scores if n not in PEERS), key=scores.get, default=None)
    best_peer = max((n for n in scores if n in PEERS), key=scores.get, default=None)
    return best, best_peer


def test_score(results, name):
    """'mean ± std' test macro-F1 of a strategy or peer."""
    mean, std = mean_std([r["macro_f1"] for r in by_strategy(results)[name]])
    return f"{mean:.4f} ± {std:.4f}"


def summary_table(results):
    """The markdown table of every strategy and peer, and the best of each kind."""
    lines = [f"{Path(results['data']).name}: classes {'/'.join(results['classes'])}",
             "| strategy | kind | macro-F1 | balanced acc. | G-mean | worst-class recall | "
             "val macro-F1 | pooled val | resample s | run s | runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = ranked(results)
    for name, runs in rows:
        cells = []
        for metric in METRICS:
            mean, std = mean_std([r[metric] for r in runs])
            cells.append(f"{mean:.4f} ± {std:.4f}")
        mean, std = mean_std([r["val_macro_f1"] for r in runs])
        cells.append(f"{mean:.4f} ± {std:.4f}")
        cells.append(f"{validation_score(runs):.4f}")
        resample = statistics.fmean(r["resample_seconds"] for r in runs)
        seconds = statistics.fmean(r["seconds"] for r in runs)
        kind = "peer" if name in PEERS else "rebalance"
        lines.append(f"| {name} | {kind} | {' | '.join(cells)} | {resample:.3f} | {seconds:.1f} | "
                     f"{len(runs)} |")
    best = next((n for n, _ in rows if n not in PEERS), None)
    best_peer = next((n for n, _ in rows if n in PEERS), None)
    chosen, chosen_peer = selected(results)
    if chosen and chosen_peer:
        lines.append(f"selected on validation: rebalance {chosen} (test macro-F1 "
                     f"{test_score(results, chosen)}), peer {chosen_peer} (test macro-F1 "
                     f"{test_score(results, chosen_peer)})")
    lines.append(f"best on the test folds (reference only): best rebalance strategy: {best}; "
                 f"best peer: {best_peer}")
    failed = {}
    for run in results.get("failed", []):
        failed.setdefault(run["strategy"], []).append(run["error"])
    for name, errors in failed.items():
        lines.append(f"{name} failed on {len(errors)} fold(s): {errors[0]}")
    return "\n".join(lines)


def plot_recall(all_results, path):
    """Per-class mean test recall of plain CE and the rebalance strategy and the peer selected on
    validation, one panel per data set."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(all_results), figsize=(6 * len(all_results), 4),
                             squeeze=False)
    for ax, results in zip(axes[0], all_results):
        groups = by_strategy(results)
        chosen = ["ce", *selected(results)]
        classes = results["classes"]
        width = 0.8 / len(chosen)
        for i, name in enumerate(n for n in chosen if n in groups):
            runs = groups[name]
            recall = [statistics.fmean(r["recall"][c] for r in runs) for c in range(len(classes))]
            ax.bar([c + i * width for c in range(len(classes))], recall, width, label=name)
        ax.set_xticks([c + 0.4 - width / 2 for c in range(len(classes))])
        ax.set_xticklabels([f"{n}\n({k})" for n, k in zip(classes, results.get(
            "class_counts", [""] * len(classes)))], fontsize=7, rotation=25, ha="right")
        ax.set_ylabel("test recall (mean over folds x repeats)")
        ax.set_title(Path(results["data"]).stem)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="JSON files of train_tabular.py")
    parser.add_argument("--plot", help="write the per-class recall plot here (PNG)")
    args = parser.parse_args()
    all_results = [json.loads(Path(p).read_text()) for p in args.results]
    for results in all_results:
        print(summary_table(results) + "\n")
    if args.plot:
        plot_recall(all_results, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
