"""The tabular recipe end to end on a tiny CSV (seconds): strategies of the table through the
C++ training loop, the peers, the JSON records, and the resampling counts and errors, checked
against arithmetic and scikit-learn rather than our own code."""

import json

import pytest
import torch
from sklearn.metrics import balanced_accuracy_score, f1_score

from tabular_support import TINY_CSV, tabular_ops

REQUIRED = ["random_under", "random_over", "tomek", "enn", "nearmiss", "cluster_centroids",
            "smote", "adasyn", "smote_tomek", "undersample_then_finetune",
            "cluster_centroids_then_finetune", "tomek_then_finetune", "focal", "cb_focal",
            "cost_ce", "cluster_ce", "adaptive_sampling", "drw", "drs", "crt", "dynamic",
            "recommended"]


def tiny_fold(folds=3, fold=0, seed=0):
    ops = tabular_ops()
    x, y, _, classes = ops.read_table(str(TINY_CSV), "class")
    return ops.fold(x, y, len(classes), folds, fold, seed, 0.1)


def train(name, parts, steps=40, k=5):
    return tabular_ops().train_strategy(*parts[:5], 3, name, steps, 4, 32, 2e-3, 0, k)


def test_the_strategy_table_has_every_method_of_the_issue():
    names = tabular_ops().strategy_names()
    assert set(REQUIRED) <= set(names) and len(names) == len(set(names))


def test_unknown_strategy_names_the_option():
    with pytest.raises(ValueError, match=r"--strategy nope: unknown"):
        train("nope", tiny_fold())


@pytest.mark.parametrize("name", ["random_under", "random_over"])
def test_random_resampling_balances_the_training_rows(name):
    parts = tiny_fold()
    counts = torch.bincount(parts[1], minlength=3)
    _, seconds, _, rows, best, val_f1, val_confusion = train(name, parts)
    assert 0 <= val_f1 <= 1
    # the tested round's validation confusion matrix: one count per validation row, and the
    # macro-F1 it gives is the recorded one (scikit-learn on the same counts)
    assert val_confusion.shape == (3, 3) and val_confusion.sum() == len(parts[3])
    true, pred = zip(*[(t, q) for t in range(3) for q in range(3)
                       for _ in range(int(val_confusion[t, q]))])
    assert val_f1 == pytest.approx(f1_score(true, pred, average="macro"))
    expected = 3 * (counts.min() if name == "random_under" else counts.max()).item()
    assert rows == expected and seconds >= 0 and 1 <= best <= 4


def test_smote_grows_every_class_to_the_majority_and_tomek_only_removes():
    parts = tiny_fold()
    counts = torch.bincount(parts[1], minlength=3)
    assert train("smote", parts)[3] == 3 * counts.max().item()
    assert train("tomek", parts)[3] <= len(parts[1])


def test_a_class_with_too_few_rows_for_the_neighbours_names_the_option():
    parts = tiny_fold()
    rare = torch.bincount(parts[1], minlength=3).min().item()
    with pytest.raises(ValueError, match=rf"--k-neighbors {rare}: --strategy smote needs more "
                                         rf"than {rare} training rows in every class, class 2 "
                                         rf"has {rare}"):
        train("smote", parts, k=rare)


@pytest.mark.parametrize("name", ["ce", "cost_ce", "cluster_ce", "adaptive_sampling", "crt",
                                  "cluster_centroids_then_finetune", "smote_tomek", "enn",
                                  "nearmiss", "adasyn"])
def test_strategies_train_and_score_every_test_row(name):
    parts = tiny_fold()
    logits, _, seconds, _, _, _, _ = train(name, parts)
    assert logits.shape == (len(parts[5]), 3) and torch.isfinite(logits).all()
    assert seconds > 0


def test_report_of_matches_scikit_learn():
    import train_tabular
    torch.manual_seed(0)
    y = torch.randint(0, 4, (200,))
    pred = torch.where(torch.rand(200) < 0.7, y, torch.randint(0, 4, (200,)))
    report, table = train_tabular.report_of(pred, y, 4)
    assert float(report["macro_f1"]) == pytest.approx(f1_score(y, pred, average="macro"))
    assert float(report["balanced_accuracy"]) == pytest.approx(balanced_accuracy_score(y, pred))
    assert "macro" in table.lower() or "f1" in table.lower()


def test_train_tabular_end_to_end(tmp_path, capsys):
    import train_tabular
    out = tmp_path / "runs.json"
    train_tabular.main(["--data", str(TINY_CSV), "--target", "class", "--strategies",
                        "ce,smote,recommended", "--peers", "mlp_ce,logreg_balanced,balanced_rf",
                        "--folds", "3", "--repeats", "1", "--steps", "60", "--rounds", "3",
                        "--batch-size", "32", "--json", str(out)])
    results = json.loads(out.read_text())
    assert results["classes"] == ["common", "middle", "rare"]
    assert len(results["runs"]) == 3 * 6
    for run in results["runs"]:
        assert 0 <= run["macro_f1"] <= 1 and 0 <= run["worst_recall"] <= 1
        assert 0 <= run["val_macro_f1"] <= 1
        assert sum(map(sum, run["val_confusion"])) > 0
        assert sum(run["support"]) in (44, 44.0)  # each test fold is a third of 132 rows
    ce = [r["macro_f1"] for r in results["runs"] if r["strategy"] == "ce"]
    assert min(ce) > 0.7  # well separated blobs
    printed = capsys.readouterr().out
    assert "| recommended | rebalance |" in printed and "best peer:" in printed
    assert "selected on validation: rebalance " in printed


def test_selection_uses_validation_only():
    """The selected strategy is the one with the best mean validation macro-F1, even where
    another has the better test score."""
    import compare_tabular

    def run(name, val, test):
        return {"strategy": name, "macro_f1": test, "val_macro_f1": val, "balanced_accuracy": 0,
                "g_mean": 0, "worst_recall": 0, "resample_seconds": 0, "seconds": 0}
    results = {"data": "x.csv", "classes": ["a", "b"],
               "runs": [run("ce", 0.9, 0.5), run("smote", 0.8, 0.9), run("hist_gbdt", 0.7, 0.95),
                        run("mlp_ce", 0.75, 0.6)]}
    assert compare_tabular.selected(results) == ("ce", "mlp_ce")
    table = compare_tabular.summary_table(results)
    assert "selected on validation: rebalance ce (test macro-F1 0.5000" in table
    assert "peer mlp_ce (test macro-F1 0.6000" in table
    assert "best rebalance strategy: smote; best peer: hist_gbdt" in table


def test_selection_pools_the_validation_confusion_matrices():
    """With val_confusion recorded, a row is scored by the macro-F1 of its summed validation
    confusion matrices (scikit-learn's macro-F1 of all its runs' validation rows at once), not by
    the mean of per-run macro-F1s. One rare validation row per run: ce finds it in one run and
    misses it in the other, smote finds it twice at the cost of a majority row; the mean prefers
    smote, the pooled score ce."""
    import compare_tabular

    def rows(confusion):
        return [(t, q) for t in range(2) for q in range(2) for _ in range(confusion[t][q])]

    def run(name, confusion):
        true, pred = zip(*rows(confusion))
        return {"strategy": name, "macro_f1": 0.5, "val_confusion": confusion,
                "val_macro_f1": f1_score(true, pred, average="macro")}
    runs = {"ce": [run("ce", [[10, 0], [0, 1]]), run("ce", [[10, 0], [1, 0]])],
            "smote": [run("smote", [[9, 1], [0, 1]]), run("smote", [[9, 1], [0, 1]])]}
    pooled, mean = {}, {}
    for name, mine in runs.items():
        true, pred = zip(*[r for one in mine for r in rows(one["val_confusion"])])
        pooled[name] = compare_tabular.validation_score(mine)
        assert pooled[name] == pytest.approx(f1_score(true, pred, average="macro"))
        mean[name] = sum(r["val_macro_f1"] for r in mine) / len(mine)
    assert mean["smote"] > mean["ce"] and pooled["ce"] > pooled["smote"], (mean, pooled)
    peer = run("mlp_ce", [[10, 0], [1, 0]])
    assert compare_tabular.selected({"runs": runs["ce"] + runs["smote"] + [peer]}) == \
        ("ce", "mlp_ce")
    # without confusion matrices (older JSON files) the mean decides
    for one in runs["ce"] + runs["smote"]:
        del one["val_confusion"]
    assert compare_tabular.selected({"runs": runs["ce"] + runs["smote"] + [peer]})[0] == "smote"


def test_train_tabular_reports_a_missing_column_without_a_traceback():
    import train_tabular
    with pytest.raises(SystemExit, match=r"--target Kind: no such column"):
        train_tabular.main(["--data", str(TINY_CSV), "--target", "Kind"])


def test_a_failing_strategy_is_recorded_and_the_others_still_run(tmp_path, capsys):
    import train_tabular
    out = tmp_path / "runs.json"
    train_tabular.main(["--data", str(TINY_CSV), "--target", "class", "--strategies", "ce,smote",
                        "--peers", "none", "--folds", "3", "--repeats", "1", "--steps", "20",
                        "--rounds", "2", "--k-neighbors", "20", "--json", str(out)])
    results = json.loads(out.read_text())
    assert [r["strategy"] for r in results["runs"]] == ["ce"] * 3
    assert len(results["failed"]) == 3
    assert all("--k-neighbors 20" in f["error"] for f in results["failed"])
    assert "smote failed on 3 fold(s): --k-neighbors 20" in capsys.readouterr().out
