"""ClassMetrics against sklearn (precision_recall_fscore_support, f1_score, accuracy_score,
balanced_accuracy_score) and imblearn's geometric_mean_score."""
import copy
import io
import pickle

import numpy as np
import pytest
import torch
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                             precision_recall_fscore_support)

from rebalance.metrics import ClassMetrics

C = 6


def check_against_sklearn(report, y, p, num_classes):
    labels = np.arange(num_classes)
    prec, rec, f1, sup = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    np.testing.assert_allclose(report["precision"].numpy(), prec, rtol=1e-12)
    np.testing.assert_allclose(report["recall"].numpy(), rec, rtol=1e-12)
    np.testing.assert_allclose(report["f1"].numpy(), f1, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(report["support"].numpy(), sup)
    np.testing.assert_array_equal(report["predicted"].numpy(), np.bincount(p, minlength=num_classes))
    for key in ("precision", "recall", "f1", "class_accuracy", "macro_f1", "balanced_accuracy",
                "geometric_mean", "accuracy"):
        assert not torch.isnan(report[key]).any(), key
    if len(y) == 0:
        return
    ovr = [np.mean((y == c) == (p == c)) for c in labels]
    np.testing.assert_allclose(report["class_accuracy"].numpy(), ovr, rtol=1e-12)
    assert report["macro_f1"].item() == pytest.approx(f1_score(y, p, average="macro", zero_division=0))
    assert report["accuracy"].item() == pytest.approx(accuracy_score(y, p))
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert report["balanced_accuracy"].item() == pytest.approx(balanced_accuracy_score(y, p))
    supported = np.unique(y)
    if np.isin(p, supported).all():  # imblearn averages over the union of labels
        assert report["geometric_mean"].item() == pytest.approx(geometric_mean_score(y, p))
    r = rec[supported]
    expected = 0.0 if (r == 0).any() else float(np.exp(np.log(r).mean()))
    assert report["geometric_mean"].item() == pytest.approx(expected)


def test_random_batches_accumulate():
    g = torch.Generator().manual_seed(0)
    m = ClassMetrics(C)
    ys, ps = [], []
    for _ in range(4):
        logits = torch.randn(300, C, generator=g)
        y = torch.multinomial(torch.tensor([30.0, 10, 5, 2, 1, 0.5]), 300, True, generator=g)
        m.update(logits, y)
        ys.append(y)
        ps.append(logits.argmax(1))
    y, p = torch.cat(ys).numpy(), torch.cat(ps).numpy()
    check_against_sklearn(m.report(), y, p, C)
    assert m.report()["total"].item() == len(y)


@pytest.mark.parametrize("case", ["one_class", "empty_classes", "all_wrong", "never_predicted",
                                  "perfect", "empty"])
def test_degenerate_inputs(case):
    y = {"one_class": [2] * 20, "empty_classes": [0, 0, 5, 5, 5],
         "all_wrong": [0, 1, 2, 3, 4, 5], "never_predicted": [0, 1, 1, 2, 3],
         "perfect": [0, 1, 2, 3, 4, 5], "empty": []}[case]
    p = {"one_class": [2] * 20, "empty_classes": [0, 5, 5, 0, 5],
         "all_wrong": [1, 2, 3, 4, 5, 0], "never_predicted": [0, 0, 0, 0, 0],
         "perfect": [0, 1, 2, 3, 4, 5], "empty": []}[case]
    y, p = np.array(y, dtype=np.int64), np.array(p, dtype=np.int64)
    m = ClassMetrics(C)
    m.update(torch.from_numpy(p), torch.from_numpy(y))
    r = m.report()
    if case == "empty":  # scikit-learn >= 1.8 rejects empty input; older versions gave zeros
        assert all(r[k].item() == 0 for k in ("macro_f1", "balanced_accuracy", "accuracy"))
        assert all(not r[k].any() for k in ("precision", "recall", "f1", "support"))
    else:
        check_against_sklearn(r, y, p, C)


def test_ignore_index_and_trailing_dims():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, C, 5, 5, generator=g)
    target = torch.randint(0, C, (4, 5, 5), generator=g)
    target[:, 0] = 255
    m = ClassMetrics(C, ignore_index=255)
    m.update(logits, target)
    keep = target != 255
    check_against_sklearn(m.report(), target[keep].numpy(), logits.argmax(1)[keep].numpy(), C)


def test_reset_and_f1_change_since_previous_epoch():
    g = torch.Generator().manual_seed(2)
    m = ClassMetrics(C)
    m.reset()  # an empty epoch sets no reference
    y1, p1 = torch.randint(0, C, (200,), generator=g), torch.randint(0, C, (200,), generator=g)
    m.update(p1, y1)
    first = m.report()
    assert not first["has_previous"].item() and (first["f1_change"] == 0).all()
    state = m.state()
    m.reset()
    assert state.sum() == 0 and m.state().data_ptr() == state.data_ptr()
    y2, p2 = torch.randint(0, C, (200,), generator=g), torch.randint(0, C, (200,), generator=g)
    m.update(p2, y2)
    second = m.report()
    assert second["has_previous"].item()
    f1_prev = precision_recall_fscore_support(y1, p1, labels=range(C), zero_division=0)[2]
    f1_now = precision_recall_fscore_support(y2, p2, labels=range(C), zero_division=0)[2]
    np.testing.assert_allclose(second["f1_change"].numpy(), f1_now - f1_prev, atol=1e-12)
    table = m.table()
    lines = table.strip().splitlines()
    assert len(lines) == C + 2 and "f1 change" in lines[0] and "macro-F1" in lines[-1]
    assert f"{f1_now[3] - f1_prev[3]:+.4f}" in lines[4]


def test_merge_set_state_and_errors():
    g = torch.Generator().manual_seed(3)
    y, p = torch.randint(0, C, (500,), generator=g), torch.randint(0, C, (500,), generator=g)
    whole, a, b = ClassMetrics(C), ClassMetrics(C), ClassMetrics(C)
    whole.update(p, y)
    a.update(p[:200], y[:200])
    b.update(p[200:], y[200:])
    a.merge(b)
    assert a.state().equal(whole.state())
    c = ClassMetrics(C)
    c.merge_state(whole.state())
    c.merge_state(whole.state())
    assert c.state().equal(2 * whole.state())
    c.set_state(whole.state())
    assert c.state().equal(whole.state())
    with pytest.raises(ValueError, match="matrix"):
        c.merge_state(torch.zeros(3, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match="integer"):
        c.set_state(torch.zeros(C, C))
    with pytest.raises(ValueError, match="non-negative"):
        c.set_state(-torch.ones(C, C, dtype=torch.int64))
    with pytest.raises(ValueError, match="classes"):
        c.merge(ClassMetrics(C + 1))
    with pytest.raises(ValueError, match="num_classes"):
        ClassMetrics(0)
    with pytest.raises(IndexError):
        c.update(torch.tensor([0, 1]), torch.tensor([0, C]))


def test_pickle_deepcopy_and_torchscript_round_trip():
    g = torch.Generator().manual_seed(4)
    m = ClassMetrics(C, 7)
    m.update(torch.randint(0, C, (100,), generator=g), torch.randint(0, C, (100,), generator=g))
    m.reset()
    m.update(torch.randint(0, C, (100,), generator=g), torch.randint(0, C, (100,), generator=g))
    for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert clone.state().equal(m.state()) and clone.ignore_index() == 7
        assert clone.previous_f1().equal(m.previous_f1())
        assert clone.table() == m.table()

    class Evaluator(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.metrics = ClassMetrics(C)

        def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            self.metrics.update(logits, target)
            return self.metrics.report()["macro_f1"]

    scripted = torch.jit.script(Evaluator())
    logits, target = torch.randn(50, C, generator=g), torch.randint(0, C, (50,), generator=g)
    value = scripted(logits, target)
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    assert loaded.metrics.state().equal(scripted.metrics.state())
    expected = f1_score(target.numpy(), logits.argmax(1).numpy(), average="macro", zero_division=0)
    assert value.item() == pytest.approx(expected)
