#!/usr/bin/env python3
"""Markdown table (mean ± std over seeds) of fmnist_lt --json outputs.
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
    print("| strategy | seeds | test macro-F1 | balanced accuracy | worst-class recall | "
          "seconds |")
    print("|---|---|---|---|---|---|")
    for name, rs in rows:
        print(f"| {name} | {len(rs)} | {fmt([r['test']['macro_f1'] for r in rs])} | "
              f"{fmt([r['test']['balanced_accuracy'] for r in rs])} | "
              f"{fmt([r['test']['worst_recall'] for r in rs])} | "
              f"{statistics.mean(r['seconds'] for r in rs):.0f} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
