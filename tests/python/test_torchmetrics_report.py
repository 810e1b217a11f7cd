"""rebalance.torchmetrics.ClassReport against torchmetrics' own per-class F1, recall, precision
and confusion matrix; ClassMetrics keeps its state on the inputs' device."""

import pytest
import torch

from torchvision_compat import import_torchvision

import_torchvision()  # torchmetrics imports torchvision when it is installed
torchmetrics = pytest.importorskip("torchmetrics")
from torchmetrics.classification import (MulticlassConfusionMatrix, MulticlassF1Score,  # noqa
                                         MulticlassPrecision, MulticlassRecall)

import rebalance  # noqa: E402
from rebalance.torchmetrics import ClassReport  # noqa: E402

C = 5


def batches(seed=0, n=6, with_ignored=False):
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        logits = torch.randn(40, C, generator=g)
        target = torch.randint(0, C - 1, (40,), generator=g)  # class C-1 has no support
        if with_ignored:
            target[:3] = -100
        yield logits, target


@pytest.mark.parametrize("with_ignored", [False, True])
def test_per_class_results_equal_torchmetrics(with_ignored):
    ours = ClassReport(C)
    kwargs = dict(num_classes=C, average=None, zero_division=0,
                  ignore_index=-100 if with_ignored else None)
    f1, rec, prec = (MulticlassF1Score(**kwargs), MulticlassRecall(**kwargs),
                     MulticlassPrecision(**kwargs))
    cm = MulticlassConfusionMatrix(num_classes=C, ignore_index=-100 if with_ignored else None)
    for logits, target in batches(with_ignored=with_ignored):
        ours.update(logits, target)
        for m in (f1, rec, prec, cm):
            m.update(logits, target)
    report = ours.compute()
    torch.testing.assert_close(report["f1"], f1.compute().double())
    torch.testing.assert_close(report["recall"], rec.compute().double())
    torch.testing.assert_close(report["precision"], prec.compute().double())
    assert torch.equal(ours.confmat, cm.compute())
    if not with_ignored:  # ours averages over the classes present (sklearn's rule)
        present = (report["support"] + report["predicted"]) > 0
        assert float(report["macro_f1"]) == pytest.approx(float(report["f1"][present].mean()))
    ours.reset()
    assert int(ours.confmat.sum()) == 0


def test_class_report_rejects_bad_num_classes():
    with pytest.raises(ValueError, match="ClassReport: num_classes must be an int >= 1"):
        ClassReport(0)


def test_class_metrics_state_follows_the_input_device():
    m = rebalance.ClassMetrics(C)
    logits, target = next(batches())
    m.update(logits, target)
    cpu_state = m.state()
    m.update(logits, target)
    assert m.state() is not None and m.state().data_ptr() == cpu_state.data_ptr()  # no copy
    # No GPU here: a Meta kernel for this test alone stands in for another device.
    lib = torch.library.Library("rebalance", "IMPL")
    lib.impl("confusion_matrix", lambda input, target, num_classes, *rest:
             input.new_empty((num_classes, num_classes), dtype=torch.int64), "Meta")
    try:
        meta = rebalance.ClassMetrics(C)
        meta.update(logits.to("meta"), target.to("meta"))
        assert meta.state().device.type == "meta"  # stays where the inputs are (CUDA: no D2H)
        meta.update(logits.to("meta"), target.to("meta"))
        assert meta.state().device.type == "meta"
    finally:
        lib._destroy()
    merged = rebalance.ClassMetrics(C)
    merged.merge(m)
    assert torch.equal(merged.state(), 2 * rebalance.confusion_matrix(logits, target, C))
