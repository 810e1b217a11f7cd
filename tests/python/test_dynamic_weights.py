"""DynamicClassWeights: the update rule written here in numpy, options, resume, errors."""
import copy
from typing import Dict
import io
import pickle

import numpy as np
import pytest
import torch

from rebalance.metrics import ClassMetrics
from rebalance.weighting import DynamicClassWeights

C = 4
BASE = np.array([0.5, 1.0, 2.0, 4.0])


def numpy_rule(base, weights, scores, power, eps, momentum):
    base = base * len(base) / base.sum()
    target = base * (1 - scores + eps) ** power
    target = target * len(base) / target.sum()
    w = momentum * weights + (1 - momentum) * target
    return w * len(base) / w.sum()


def score_stream(seed, epochs):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(C, dtype=torch.float64, generator=g) for _ in range(epochs)]


@pytest.mark.parametrize("power,eps,momentum,warmup", [(1.0, 0.01, 0.0, 0), (2.0, 0.1, 0.6, 2),
                                                       (0.0, 0.0, 0.3, 1)])
def test_update_rule_matches_numpy(power, eps, momentum, warmup):
    dw = DynamicClassWeights(torch.from_numpy(BASE), power=power, eps=eps, momentum=momentum,
                             warmup_epochs=warmup)
    base = BASE * C / BASE.sum()
    np.testing.assert_allclose(dw.weights_double().numpy(), base)
    w = base
    for epoch, s in enumerate(score_stream(0, 6), start=1):
        out = dw.update(s)
        w = base if epoch <= warmup else numpy_rule(BASE, w, s.numpy(), power, eps, momentum)
        np.testing.assert_allclose(dw.weights_double().numpy(), w, rtol=1e-12)
        assert out.dtype == torch.float32 and dw.epoch() == epoch
        np.testing.assert_allclose(out.numpy(), w, rtol=1e-6)


def test_clip_bounds_and_sum():
    dw = DynamicClassWeights(torch.ones(C), power=3.0, min_weight=0.3, max_weight=1.6)
    dw.update(torch.tensor([1.0, 0.0, 0.9, 0.95]))
    w = dw.weights_double()
    assert (w >= 0.3 - 1e-12).all() and (w <= 1.6 + 1e-12).all()
    assert w.sum().item() == pytest.approx(C, rel=1e-9)
    raw = (1 - np.array([1.0, 0.0, 0.9, 0.95]) + 0.01) ** 3
    free = (w > 0.3 + 1e-9) & (w < 1.6 - 1e-9)  # unclipped classes keep their ratios
    ratios = w.numpy()[free.numpy()] / raw[free.numpy()]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)
    with pytest.raises(ValueError, match="cannot sum"):
        DynamicClassWeights(torch.ones(C), max_weight=0.9)


def test_zero_base_weight_stays_zero():
    dw = DynamicClassWeights(torch.tensor([1.0, 0.0, 1.0, 1.0]), min_weight=0.2)
    w = dw.update(torch.tensor([0.2, 0.1, 0.9, 0.5]))
    assert w[1] == 0 and w.sum().item() == pytest.approx(C, rel=1e-6)


def test_update_from_report_uses_the_chosen_score():
    g = torch.Generator().manual_seed(2)
    m = ClassMetrics(C)
    m.update(torch.randint(0, C, (200,), generator=g), torch.randint(0, C, (200,), generator=g))
    report = m.report()
    for score, key in (("recall", "recall"), ("f1", "f1"), ("accuracy", "class_accuracy")):
        a, b = DynamicClassWeights(torch.ones(C)), DynamicClassWeights(torch.ones(C))
        assert a.update_from_report(report, score).equal(b.update(report[key]))
    with pytest.raises(ValueError, match="score"):
        DynamicClassWeights(torch.ones(C)).update_from_report(report, "loss")


def test_resumed_object_matches_uninterrupted_run():
    scores = score_stream(3, 10)
    kwargs = dict(power=1.5, eps=0.05, momentum=0.7, min_weight=0.1, max_weight=3.0,
                  warmup_epochs=2)
    straight = DynamicClassWeights(torch.from_numpy(BASE), **kwargs)
    for s in scores:
        straight.update(s)
    first = DynamicClassWeights(torch.from_numpy(BASE), **kwargs)
    for s in scores[:5]:
        first.update(s)
    for resumed in (pickle.loads(pickle.dumps(first)), copy.deepcopy(first)):
        for s in scores[5:]:
            resumed.update(s)
        assert resumed.weights_double().equal(straight.weights_double())
        assert resumed.epoch() == straight.epoch() == 10


def test_scripted_module_carries_weights_as_buffer():
    class Trainer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dynamic = DynamicClassWeights(torch.ones(C), momentum=0.5)
            self.register_buffer("weight", self.dynamic.weights())

        @torch.jit.export
        def end_epoch(self, report: Dict[str, torch.Tensor]) -> None:
            self.weight.copy_(self.dynamic.update_from_report(report, "f1"))

        def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return torch.ops.rebalance.softmax_focal_loss(logits, target, 2.0, self.weight)

    scripted = torch.jit.script(Trainer())
    m = ClassMetrics(C)
    g = torch.Generator().manual_seed(4)
    logits, target = torch.randn(100, C, generator=g), torch.randint(0, C, (100,), generator=g)
    m.update(logits, target)
    scripted.end_epoch(m.report())
    reference = DynamicClassWeights(torch.ones(C), momentum=0.5).update(m.report()["f1"])
    assert scripted.weight.equal(reference)
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    assert loaded.weight.equal(reference) and loaded.dynamic.epoch() == 1
    assert loaded(logits, target).item() == pytest.approx(scripted(logits, target).item())


def test_bad_input():
    dw = DynamicClassWeights(torch.ones(C))
    with pytest.raises(ValueError, match="NaN"):
        dw.update(torch.tensor([0.1, float("nan"), 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        dw.update(torch.tensor([0.1, 1.5, 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        dw.update(torch.tensor([0.1, -0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="entries"):
        dw.update(torch.rand(C + 1))
    assert dw.epoch() == 0  # rejected updates change nothing
    with pytest.raises(ValueError, match="base_weights"):
        DynamicClassWeights(torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="momentum"):
        DynamicClassWeights(torch.ones(C), momentum=1.0)
    with pytest.raises(ValueError, match="power"):
        DynamicClassWeights(torch.ones(C), power=-1.0)


def test_per_batch_update_from_running_loss():
    g = torch.Generator().manual_seed(5)
    dw = DynamicClassWeights(torch.ones(C), momentum=0.25)
    twin = DynamicClassWeights(torch.ones(C), momentum=0.25)
    losses, targets = [], []
    for _ in range(3):
        logits = torch.randn(30, C, generator=g)
        target = torch.randint(0, C - 1, (30,), generator=g)  # class C-1 never occurs
        target[0] = -100
        loss = torch.nn.functional.cross_entropy(logits, target, reduction="none")
        dw.accumulate_loss(loss, target)
        losses.append(loss)
        targets.append(target)
    resumed = pickle.loads(pickle.dumps(dw))  # mid-window state travels too
    loss, target = torch.cat(losses).double(), torch.cat(targets)
    mean = np.array([loss[target == c].mean().item() for c in range(C - 1)])
    scores = np.exp(-mean)
    scores = np.append(scores, scores.mean())
    expected = twin.update(torch.from_numpy(scores))
    out = dw.update_from_running_loss()
    torch.testing.assert_close(out, expected, rtol=1e-6, atol=0)
    assert resumed.update_from_running_loss().equal(out)
    with pytest.raises(ValueError, match="no loss"):
        dw.update_from_running_loss()
    with pytest.raises(IndexError):
        dw.accumulate_loss(torch.ones(2), torch.tensor([0, C]))
    with pytest.raises(ValueError, match="NaN"):
        dw.accumulate_loss(torch.tensor([float("nan")]), torch.tensor([0]))


def test_report_scores_columns_and_wilson_lower_bound():
    """rebalance.report_scores: the report's columns as float64, and recall_lcb against the
    Wilson score interval written out here (z = 1):
    (r + 1/2n - sqrt(r(1-r)/n + 1/4n^2)) / (1 + 1/n), 0 for a class without support."""
    import math
    import rebalance
    metrics = rebalance.ClassMetrics(4)
    target = torch.tensor([0] * 100 + [1] * 3 + [2] * 50)
    pred = torch.tensor([0] * 90 + [1] * 10 + [1, 0, 0] + [2] * 50)
    metrics.update(pred, target)
    report = metrics.report()
    assert torch.equal(rebalance.report_scores(report, "f1"), report["f1"].double())
    lcb = rebalance.report_scores(report, "recall_lcb")
    for c, (r, n) in enumerate(zip(report["recall"].tolist(), report["support"].tolist())):
        spread = math.sqrt(r * (1 - r) / n + 1 / (4 * n * n)) if n else 0.0
        expected = 0.0 if n == 0 else (r + 1 / (2 * n) - spread) / (1 + 1 / n)
        assert float(lcb[c]) == pytest.approx(expected, abs=1e-12)
    assert float(lcb[2]) < 1.0 and float(lcb[1]) < float(lcb[0])  # fewer samples, lower bound
    with pytest.raises(ValueError, match=r"score must be .*got \"median\""):
        rebalance.report_scores(report, "median")


def test_report_scores_log_prediction_ratio_counts_predictions():
    """log_prediction_ratio is log((#predicted c + 1/2) / (#true c + 1/2)) from the raw labels
    (counted here with bincount), 0 for a class without support, negative exactly for the
    classes predicted less often than they occur; DynamicClassWeights rejects it (not in [0, 1])."""
    import math
    import rebalance
    C = 5
    target = torch.tensor([0] * 40 + [1] * 10 + [2] * 25 + [3] * 5)
    pred = torch.tensor([0] * 30 + [1] * 10 + [1] * 10 + [2] * 20 + [4] * 5 + [0] * 5)
    metrics = rebalance.ClassMetrics(C)
    metrics.update(pred, target)
    ratio = rebalance.report_scores(metrics.report(), "log_prediction_ratio")
    assert ratio.dtype == torch.float64 and ratio.shape == (C,)
    predicted = torch.bincount(pred, minlength=C).tolist()
    support = torch.bincount(target, minlength=C).tolist()
    for c in range(C):
        expected = 0.0 if support[c] == 0 else math.log((predicted[c] + 0.5) / (support[c] + 0.5))
        assert float(ratio[c]) == pytest.approx(expected, abs=1e-12)
    assert (ratio[:4] < 0).tolist() == [p < n for p, n in zip(predicted[:4], support[:4])]
    assert float(ratio[3]) < math.log(1 / 10)  # class 3: never predicted, 5 members
    dw = rebalance.DynamicClassWeights(torch.ones(C))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        dw.update(ratio)
