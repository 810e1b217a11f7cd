"""The tabular recipe's reader (R data files and CSV), subsampling and folds
(examples/tabular/, through torch.ops.rebalance_tabular), against facts that do not come from
our code: the published class counts of Shuttle and Satellite, R's own reading of the files,
and set arithmetic."""

import shutil
import subprocess

import numpy as np
import pytest
import torch

from tabular_support import TINY_CSV, mlbench, tabular_ops


def test_shuttle_has_the_published_shape_and_class_counts():
    x, y, features, classes = tabular_ops().read_table(mlbench("Shuttle"), "Class")
    assert x.shape == (58000, 9) and x.dtype == torch.float64
    assert features == [f"V{i}" for i in range(1, 10)]
    counts = torch.bincount(y, minlength=len(classes)).tolist()
    assert sorted(counts, reverse=True) == [45586, 8903, 3267, 171, 50, 13, 10]
    assert dict(zip(classes, counts))["Rad.Flow"] == 45586


def test_satellite_has_the_published_shape():
    x, y, features, classes = tabular_ops().read_table(mlbench("Satellite"), "classes")
    assert x.shape == (6435, 36) and len(classes) == 6
    assert torch.bincount(y).sum().item() == 6435


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_rda_reader_equals_r_itself(tmp_path):
    # R writes the data.frame as CSV; both of our readers must give exactly its values.
    ops = tabular_ops()
    csv = tmp_path / "shuttle.csv"
    subprocess.run(["Rscript", "-e", f"load('{mlbench('Shuttle')}'); "
                    f"write.csv(Shuttle, '{csv}', row.names = FALSE)"], check=True,
                   capture_output=True)
    x_rda, y_rda, _, classes_rda = ops.read_table(mlbench("Shuttle"), "Class")
    x_csv, y_csv, _, classes_csv = ops.read_table(str(csv), "Class")
    assert torch.equal(x_rda, x_csv)
    names_rda = [classes_rda[i] for i in y_rda.tolist()]
    names_csv = [classes_csv[i] for i in y_csv.tolist()]
    assert names_rda == names_csv


def test_csv_round_trip(tmp_path):
    ops = tabular_ops()
    x, y, features, classes = ops.read_table(str(TINY_CSV), "class")
    assert x.shape == (132, 3) and classes == ["common", "middle", "rare"]
    assert torch.bincount(y).tolist() == [90, 30, 12]
    path = tmp_path / "copy.csv"
    path.write_text(ops.table_to_csv(x, y, features, classes, "class"))
    x2, y2, features2, classes2 = ops.read_table(str(path), "class")
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert (features2, classes2) == (features, classes)
    reference = np.loadtxt(TINY_CSV, delimiter=",", skiprows=1, usecols=(0, 1, 2))
    np.testing.assert_array_equal(x.numpy(), reference)


def test_numeric_labels_are_ordered_as_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,label\n" + "".join(f"{i},{c}\n" for i, c in
                                          enumerate([10, 9, 10, 2, 9, 2])))
    _, y, _, classes = tabular_ops().read_table(str(path), "label")
    assert classes == ["2", "9", "10"] and y.tolist() == [2, 1, 2, 0, 1, 0]


def test_missing_target_column_names_the_option():
    with pytest.raises(ValueError, match=r"--target Kind: no such column.*x1, x2, x3, class"):
        tabular_ops().read_table(str(TINY_CSV), "Kind")


def test_non_numeric_feature_names_the_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,colour,label\n1,red,x\n2,blue,y\n")
    with pytest.raises(ValueError, match=r"feature column 'colour' is not numeric"):
        tabular_ops().read_table(str(path), "label")
    with pytest.raises(ValueError, match=r"is not numeric"):  # factor features of an R file
        tabular_ops().read_table(mlbench("BreastCancer"), "Class")


def test_missing_value_names_column_and_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n1,2,x\n3,,y\n")
    with pytest.raises(ValueError, match=r"missing or non-finite value in column 'b', row 2"):
        tabular_ops().read_table(str(path), "label")


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00binary", b"just one line\n",
                                     b"a,b\n1,2,3\n", b"RDX2\nX\n\x00\x00"])
def test_a_file_that_is_not_a_table_names_data(tmp_path, content):
    path = tmp_path / "t.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"--data"):
        tabular_ops().read_table(str(path), "b")


def test_missing_file_names_data(tmp_path):
    with pytest.raises(ValueError, match=r"--data .*cannot open"):
        tabular_ops().read_table(str(tmp_path / "nothing.csv"), "class")


def test_imbalance_subsample_cuts_the_smallest_classes_exponentially():
    ops = tabular_ops()
    _, y, _, classes = ops.read_table(mlbench("Satellite"), "classes")
    counts = torch.bincount(y).tolist()
    keep = ops.imbalance_subsample(y, len(classes), 50.0, 3, 0)
    assert torch.equal(keep, torch.unique(keep))  # ascending, no repeats
    new = torch.bincount(y[keep], minlength=len(classes)).tolist()
    order = sorted(range(len(classes)), key=lambda c: -counts[c])
    n_max = counts[order[0]]
    for c in order[:3]:
        assert new[c] == counts[c]
    for j, c in enumerate(order[3:], start=1):
        assert new[c] == min(counts[c], int(np.floor(n_max * 50 ** (-j / 3))))
    assert new[order[-1]] == n_max // 50


def test_stratified_folds_partition_the_rows_and_keep_every_class():
    ops = tabular_ops()
    x, y, _, classes = ops.read_table(mlbench("Shuttle"), "Class")
    counts = torch.bincount(y)
    for fold in range(5):
        train_x, train_y, val_x, val_y, test_x, test_y = ops.fold(x, y, len(classes), 5, fold, 3,
                                                                  0.1)
        assert len(train_y) + len(val_y) + len(test_y) == len(y)
        for part in (train_y, val_y, test_y):
            assert (torch.bincount(part, minlength=len(classes)) > 0).all()
        # each class's test share is within one row of counts / 5
        assert ((torch.bincount(test_y, minlength=len(classes)) - counts / 5).abs() <= 1).all()
        # standardized with the training rows only
        torch.testing.assert_close(train_x.double().mean(0), torch.zeros(9, dtype=torch.float64),
                                   atol=1e-4, rtol=0)
        assert train_x.dtype == torch.float32
    # the test folds cover the table exactly once
    covered = torch.cat([ops.fold(x, y, len(classes), 5, f, 3, 0.1)[5] for f in range(5)])
    assert torch.equal(torch.bincount(covered, minlength=len(classes)), counts)


def test_fold_errors_name_the_option():
    ops = tabular_ops()
    y = torch.tensor([0] * 10 + [1] * 2)
    x = torch.randn(12, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"--folds 5: class 1 has 2 rows"):
        ops.fold(x, y, 2, 5, 0, 0, 0.1)
    with pytest.raises(ValueError, match=r"--val-fraction"):
        ops.fold(x, torch.tensor([0, 1] * 6), 2, 2, 0, 0, 0.9)
