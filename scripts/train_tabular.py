#!/usr/bin/env python3
"""The tabular recipe from Python, with its peers in the same folds.

Runs examples/tabular_lt.cpp's code through the tabular ops library (librebalance_tabular.so,
built beside librebalance.so): the same reader (CSV or an R data file), exponential subsampling,
repeated stratified k-fold with training-fold standardization, strategy table and training loop.
The peers train on exactly the same rows:

- ``mlp_ce``: the same MLP (2 x 128, ReLU) in plain PyTorch with cross-entropy, Adam and the same
  optimizer-step budget, best validation round tested;
- ``imblearn_smote_mlp``: imbalanced-learn's SMOTE on the training rows, then that MLP;
- ``logreg_balanced``: scikit-learn LogisticRegression(class_weight="balanced");
- ``hist_gbdt``: scikit-learn HistGradientBoostingClassifier;
- ``balanced_rf``: imbalanced-learn BalancedRandomForestClassifier.

Every run is scored by rebalance.ClassMetrics (per-class precision/recall/F1, macro-F1, balanced
accuracy, G-mean). Prints a RESULT line per run and the mean +- std table
(scripts/compare_tabular.py); --json writes every run (rewritten after each fold).

    .venv/bin/python scripts/train_tabular.py                    # Shuttle, 5 folds x 3 repeats
    .venv/bin/python scripts/train_tabular.py --data Satellite.rda --target classes \\
        --imbalance-ratio 50 --cut-classes 3
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402
from compare_tabular import summary_table  # noqa: E402

SHUTTLE = "/usr/lib/R/site-library/mlbench/data/Shuttle.rda"
PEERS = ["mlp_ce", "imblearn_smote_mlp", "logreg_balanced", "hist_gbdt", "balanced_rf"]


def load_tabular_ops():
    """Loads librebalance_tabular.so (next to the loaded librebalance.so) once."""
    if not hasattr(torch.ops.rebalance_tabular, "fold"):
        path = Path(os.environ.get("REBALANCE_TABULAR_LIBRARY", Path(rebalance.library_path())
                                   .parent / "librebalance_tabular.so"))
        if not path.exists():
            raise FileNotFoundError(f"train_tabular: {path} is missing; build the target "
                                    "rebalance_tabular (cmake --build build --target "
                                    "rebalance_tabular)")
        torch.ops.load_library(str(path))
    return torch.ops.rebalance_tabular


class Mlp(nn.Module):
    """tabular::Mlp in plain PyTorch: fc1 (d -> 128), ReLU, fc2 (128 -> 128), ReLU, head."""

    def __init__(self, in_features, num_classes, hidden=128):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.head(F.relu(self.fc2(F.relu(self.fc1(x)))))


def report_of(scores, y, num_classes):
    """rebalance.ClassMetrics of logits or int64 predictions against y: (report dict, table)."""
    metrics = rebalance.ClassMetrics(num_classes)
    metrics.update(scores, y)
    return metrics.report(), metrics.table()


def train_plain_mlp(fold, num_classes, args, seed, train_x=None, train_y=None):
    """The peer MLP: uniform shuffled batches, cross-entropy, Adam, args.steps steps in
    args.rounds rounds: the best validation macro-F1 round's (test logits, validation logits)."""
    train_x = fold["train_x"] if train_x is None else train_x
    train_y = fold["train_y"] if train_y is None else train_y
    torch.manual_seed(seed)
    model = Mlp(train_x.shape[1], num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(seed)
    order, position, step, best = torch.randperm(len(train_y), generator=generator), 0, 0, None
    per_round = math.ceil(args.steps / args.rounds)
    for _ in range(args.rounds):
        for _ in range(min(per_round, args.steps - step)):
            if position >= len(order):
                order, position = torch.randperm(len(train_y), generator=generator), 0
            idx = order[position:position + args.batch_size]
            position += args.batch_size
            optimizer.zero_grad()
            F.cross_entropy(model(train_x[idx]), train_y[idx]).backward()
            optimizer.step()
            step += 1
        with torch.no_grad():
            val_f1 = float(report_of(model(fold["val_x"]), fold["val_y"], num_classes)[0]
                           ["macro_f1"])
        if best is None or val_f1 > best[0]:
            best = (val_f1, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[1])
    with torch.no_grad():
        return model(fold["test_x"]), model(fold["val_x"])


def run_peer(name, fold, num_classes, args, seed):
    """(test predictions or logits, validation predictions or logits, resampling seconds, rows
    trained on) of one peer."""
    if name == "mlp_ce":
        return (*train_plain_mlp(fold, num_classes, args, seed), 0.0, len(fold["train_y"]))
    if name == "imblearn_smote_mlp":
        from imblearn.over_sampling import SMOTE
        start = time.perf_counter()
        x, y = SMOTE(k_neighbors=args.k_neighbors, random_state=seed).fit_resample(
            fold["train_x"].numpy(), fold["train_y"].numpy())
        seconds = time.perf_counter() - start
        logits, val = train_plain_mlp(fold, num_classes, args, seed, torch.from_numpy(x),
                                      torch.from_numpy(y))
        return logits, val, seconds, len(y)
    if name == "logreg_balanced":
        from sklearn.linear_model import LogisticRegression
        model = LogisticRegression(class_weight="balanced", max_iter=2000)
    elif name == "hist_gbdt":
        from sklearn.ensemble import HistGradientBoostingClassifier
        model = HistGradientBoostingClassifier(random_state=seed)
    elif name == "balanced_rf":
        from imblearn.ensemble import BalancedRandomForestClassifier
        model = BalancedRandomForestClassifier(n_estimators=100, random_state=seed,
                                               sampling_strategy="all", replacement=True,
                                               bootstrap=False)
    else:
        raise ValueError(f"train_tabular: unknown peer {name!r}; choose from {PEERS}")
    model.fit(fold["train_x"].numpy(), fold["train_y"].numpy())
    val = torch.from_numpy(model.predict(fold["val_x"].numpy())).long()
    return (torch.from_numpy(model.predict(fold["test_x"].numpy())).long(), val, 0.0,
            len(fold["train_y"]))


def run_record(name, repeat, fold_index, report, resample_seconds, seconds, rows, best_round,
               val_macro_f1, val_confusion):
    """One run in the JSON form of tabular::run_json."""
    return {"strategy": name, "repeat": repeat, "fold": fold_index,
            "macro_f1": float(report["macro_f1"]),
            "balanced_accuracy": float(report["balanced_accuracy"]),
            "g_mean": float(report["geometric_mean"]), "accuracy": float(report["accuracy"]),
            "worst_recall": float(report["recall"].min()),
            "precision": report["precision"].tolist(), "recall": report["recall"].tolist(),
            "f1": report["f1"].tolist(), "support": report["support"].tolist(),
            "resample_seconds": resample_seconds, "seconds": seconds, "resampled_rows": rows,
            "best_round": best_round, "val_macro_f1": val_macro_f1,
            "val_confusion": val_confusion.tolist()}


def parse_args(argv=None):
    ops = load_tabular_ops()
    strategies = list(ops.strategy_names())
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=SHUTTLE, help="CSV with a header or an R .rda file")
    parser.add_argument("--target", default="Class", help="the class column")
    parser.add_argument("--strategies", default="all",
                        help=f"comma-separated, 'all' or 'none': {' '.join(strategies)}")
    parser.add_argument("--peers", default="all", help=f"comma-separated, 'all' or 'none': "
                        f"{' '.join(PEERS)}")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--imbalance-ratio", type=float, default=0,
                        help="exponential subsampling of the classes (0: off)")
    parser.add_argument("--cut-classes", type=int, default=0,
                        help="how many of the smallest classes --imbalance-ratio cuts (0: C-1)")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--k-neighbors", type=int, default=5)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    args.strategies = choose(parser, "--strategies", args.strategies, strategies)
    args.peers = choose(parser, "--peers", args.peers, PEERS)
    return args


def choose(parser, option, text, known):
    if text in ("all", "none"):
        return known if text == "all" else []
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"{option}: unknown {', '.join(unknown)}; choose from {' '.join(known)}")
    return names


def load_table(ops, args):
    """(features, labels, class names) after --imbalance-ratio."""
    try:
        x, y, _, classes = ops.read_table(args.data, args.target)
        keep = ops.imbalance_subsample(y, len(classes), args.imbalance_ratio, args.cut_classes,
                                       args.seed)
    except (ValueError, RuntimeError) as e:
        sys.exit(f"train_tabular: {e}")
    return x[keep], y[keep], list(classes)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    ops = load_tabular_ops()
    x, y, classes = load_table(ops, args)
    num_classes = len(classes)
    counts = torch.bincount(y, minlength=num_classes).tolist()
    print(f"train_tabular: {args.data} ({x.shape[0]} rows x {x.shape[1]} features), classes "
          f"{'/'.join(classes)} with {'/'.join(map(str, counts))} rows")
    out = {"data": args.data, "target": args.target, "classes": classes, "class_counts": counts,
           "folds": args.folds, "repeats": args.repeats, "steps": args.steps, "runs": []}
    for repeat in range(args.repeats):
        seed = args.seed + repeat
        for fold_index in range(args.folds):
            try:
                parts = ops.fold(x, y, num_classes, args.folds, fold_index, seed,
                                 args.val_fraction)
            except (ValueError, RuntimeError) as e:
                sys.exit(f"train_tabular: {e}")
            fold = dict(zip(["train_x", "train_y", "val_x", "val_y", "test_x", "test_y"], parts))
            for name in args.strategies + args.peers:
                start = time.perf_counter()
                best_round = 0
                try:
                    if name in args.peers:
                        scores, val, resample_s, rows = run_peer(name, fold, num_classes, args,
                                                                 seed)
                        val_confusion = rebalance.confusion_matrix(val, fold["val_y"],
                                                                   num_classes)
                        val_f1 = float(report_of(val, fold["val_y"], num_classes)[0]["macro_f1"])
                    else:
                        scores, resample_s, _, rows, best_round, val_f1, val_confusion = \
                            ops.train_strategy(fold["train_x"], fold["train_y"], fold["val_x"],
                                               fold["val_y"], fold["test_x"], num_classes, name,
                                               args.steps, args.rounds, args.batch_size, args.lr,
                                               seed, args.k_neighbors)
                except (ValueError, RuntimeError) as e:  # the other runs still count
                    print(f"FAILED strategy={name} repeat={repeat} fold={fold_index}: {e}",
                          flush=True)
                    out.setdefault("failed", []).append(
                        {"strategy": name, "repeat": repeat, "fold": fold_index, "error": str(e)})
                    continue
                seconds = time.perf_counter() - start
                report, _ = report_of(scores, fold["test_y"], num_classes)
                record = run_record(name, repeat, fold_index, report, resample_s, seconds, rows,
                                    best_round, val_f1, val_confusion)
                out["runs"].append(record)
                print(f"RESULT strategy={name} repeat={repeat} fold={fold_index} "
                      f"macro_f1={record['macro_f1']:.4f} val_macro_f1={val_f1:.4f} "
                      f"balanced_accuracy={record['balanced_accuracy']:.4f} "
                      f"g_mean={record['g_mean']:.4f} worst_recall={record['worst_recall']:.4f} "
                      f"resample_seconds={resample_s:.3f} seconds={seconds:.1f}", flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    print(summary_table(out))
    return out


if __name__ == "__main__":
    main()
