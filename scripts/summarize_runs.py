#!/usr/bin/env python3
"""Markdown table (mean ± std over seeds) of fmnist_lt --json outputs; with runs of ce and
balanced_upper_bound, a column of the share of their macro-F1 gap each strategy closes.
Usage: summarize_runs.py FILE.json [FILE.json ...]   (one file per strategy and seed)"""

import json
import statistics
import sys
from collections import defaultdict


def fmt(values):
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main(paths):
    runs = defaultdict(list)
    for path in paths:
        run = json.load(open(path))
        runs[run["strategy"]].append(run)
    rows = sorted(runs.items(), key=lambda kv: -statistics.mean(r["test"]["macro_f1"]
                                                                for r in kv[1]))
    mean_f1 = {name: statistics.mean(r["test"]["macro_f1"] for r in rs) for name, rs in rows}
    # The share of the gap between ce and the balanced upper bound a strategy closes (mean F1).
    gap = (mean_f1["balanced_upper_bound"] - mean_f1["ce"]
           if "ce" in mean_f1 and "balanced_upper_bound" in mean_f1 else 0)
    print("| strategy | seeds | test macro-F1 | balanced accuracy | worst-class recall | "
          f"{'gap closed | ' if gap > 0 else ''}seconds |")
    print(f"|---|---|---|---|---|{'---|' if gap > 0 else ''}---|")
    for name, rs in rows:
        closed = f"{(mean_f1[name] - mean_f1['ce']) / gap:+.0%} | " if gap > 0 else ""
        print(f"| {name} | {len(rs)} | {fmt([r['test']['macro_f1'] for r in rs])} | "
              f"{fmt([r['test']['balanced_accuracy'] for r in rs])} | "
              f"{fmt([r['test']['worst_recall'] for r in rs])} | {closed}"
              f"{statistics.mean(r['seconds'] for r in rs):.0f} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
