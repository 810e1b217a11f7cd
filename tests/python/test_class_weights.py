"""rebalance::class_weights against formulas written here in numpy, and its use in losses."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rebalance.weighting import class_weights

COUNTS = np.array([5000, 1200, 300, 40, 7], dtype=np.float64)


def normalised(raw):
    return raw * len(raw) / raw.sum()


def numpy_reference(method, n, power=0.5, beta=0.999, cost=None, clusters=None):
    if method == "inverse":
        return 1.0 / n
    if method == "inverse_power":
        return n ** -power
    if method == "effective_number":
        return (1.0 - beta) / (1.0 - beta ** n)
    if method == "median_frequency":
        return np.median(n) / n
    if method == "cost":
        return cost.sum(1) - np.diag(cost)
    if method == "cluster":
        return clusters / n
    raise ValueError(method)


COST = np.array([[0, 1, 1, 1, 1], [2, 0, 2, 2, 2], [5, 5, 0, 5, 5],
                 [1, 9, 1, 0, 1], [3, 0, 0, 0, 0]], dtype=np.float64)
CLUSTERS = np.array([4, 2, 3, 1, 1], dtype=np.float64)


@pytest.mark.parametrize("method,kwargs", [
    ("inverse", {}), ("inverse_power", {"power": 0.5}), ("inverse_power", {"power": 1.7}),
    ("effective_number", {"beta": 0.999}), ("effective_number", {"beta": 0.9}),
    ("effective_number", {"beta": 0.0}), ("median_frequency", {}),
    ("cost", {"cost": COST}), ("cluster", {"clusters": CLUSTERS}),
])
@pytest.mark.parametrize("dtype", [torch.int64, torch.float64])
def test_formulas(method, kwargs, dtype):
    raw = numpy_reference(method, COUNTS, **kwargs)
    args = {k: v for k, v in kwargs.items() if k in ("power", "beta")}
    if "cost" in kwargs:
        args["cost_matrix"] = torch.from_numpy(kwargs["cost"])
    if "clusters" in kwargs:
        args["clusters_per_class"] = torch.from_numpy(kwargs["clusters"]).long()
    w = class_weights(torch.from_numpy(COUNTS).to(dtype), method, **args)
    assert w.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
    np.testing.assert_allclose(w.double().numpy(), normalised(raw), rtol=1e-6)
    assert w.sum().item() == pytest.approx(len(COUNTS), rel=1e-6)
    raw_w = class_weights(torch.from_numpy(COUNTS), method, normalize=False, **args)
    np.testing.assert_allclose(raw_w.numpy(), raw, rtol=1e-12)


def test_median_frequency_even_number_of_classes_and_scale():
    n = np.array([10.0, 40.0, 20.0, 80.0])
    w = class_weights(torch.from_numpy(n), "median_frequency", normalize=False)
    np.testing.assert_allclose(w.numpy(), np.median(n) / n)
    w_norm = class_weights(torch.from_numpy(n), "median_frequency")
    np.testing.assert_allclose(w_norm.numpy(), class_weights(torch.from_numpy(n), "inverse").numpy())


def test_zero_count_classes_get_zero_weight_with_warning():
    counts = torch.tensor([100, 0, 10, 0])
    with pytest.warns(UserWarning, match=r"\[1, 3\]"):
        w = class_weights(counts, "inverse_power", power=1.0)
    assert w[1] == 0 and w[3] == 0
    expected = np.array([1 / 100, 0, 1 / 10, 0])
    np.testing.assert_allclose(w.numpy(), expected * 4 / expected.sum(), rtol=1e-6)
    with pytest.warns(UserWarning):
        median = class_weights(counts, "median_frequency", normalize=False)  # median of 100, 10
    np.testing.assert_allclose(median.numpy(), [0.55, 0, 5.5, 0], rtol=1e-6)


def test_cpp_warning_is_relayed_once_and_not_replayed():
    # The message is written in C++ only (csrc/rebalance/warnings.h); Python re-raises it.
    with pytest.warns(UserWarning) as record:
        class_weights(torch.tensor([3.0, 0.0, 2.0]), "inverse")
    relayed = [str(r.message) for r in record if "count 0" in str(r.message)]
    assert relayed == ["class_weights: classes [1] have count 0; their weight is 0"]
    assert torch.ops.rebalance.take_warnings() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        class_weights(torch.tensor([3.0, 1.0, 2.0]), "inverse")


def test_errors():
    op = torch.ops.rebalance.class_weights
    with pytest.raises(ValueError, match="non-negative"):
        op(torch.tensor([3, -1]), "inverse")
    with pytest.raises(ValueError, match="finite"):
        op(torch.tensor([3.0, float("nan")]), "inverse")
    with pytest.raises(ValueError, match="method"):
        op(torch.tensor([3, 1]), "bogus")
    with pytest.raises(ValueError, match="count 0"):
        op(torch.tensor([0, 0]), "inverse")
    with pytest.raises(ValueError, match="beta"):
        op(torch.tensor([3, 1]), "effective_number", beta=1.0)
    with pytest.raises(ValueError, match="power"):
        op(torch.tensor([3, 1]), "inverse_power", power=-1.0)
    with pytest.raises(ValueError, match="cost_matrix"):
        op(torch.tensor([3, 1]), "cost")
    with pytest.raises(ValueError, match="cost_matrix"):
        op(torch.tensor([3, 1]), "cost", cost_matrix=torch.ones(3, 3))
    with pytest.raises(ValueError, match="non-negative"):
        op(torch.tensor([3, 1]), "cost", cost_matrix=-torch.ones(2, 2))
    with pytest.raises(ValueError, match="every class"):
        op(torch.tensor([3, 1]), "cost", cost_matrix=torch.eye(2))
    with pytest.raises(ValueError, match="clusters_per_class"):
        op(torch.tensor([3, 1]), "cluster", clusters_per_class=torch.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        op(torch.ones(2, 2), "inverse")
    with pytest.raises(TypeError, match="counts"):
        op(torch.tensor([True, False]), "inverse")


def test_weights_plug_into_cross_entropy_and_focal_losses():
    g = torch.Generator().manual_seed(0)
    C = len(COUNTS)
    w = class_weights(torch.from_numpy(COUNTS).long(), "effective_number", beta=0.99)
    logits = torch.randn(64, C, generator=g)
    target = torch.randint(0, C, (64,), generator=g)
    ce = torch.nn.CrossEntropyLoss(weight=w)(logits, target)
    ours = torch.ops.rebalance.softmax_focal_loss(logits, target, 0.0, w)
    torch.testing.assert_close(ours, ce)
    focal = torch.ops.rebalance.softmax_focal_loss(logits, target, 2.0, w, "none")
    p = F.softmax(logits, 1).gather(1, target[:, None]).squeeze(1)
    torch.testing.assert_close(focal, -w[target] * (1 - p) ** 2 * p.log())
    sig_target = F.one_hot(target, C).float()
    sig = torch.ops.rebalance.sigmoid_focal_loss(logits, sig_target, -1.0, 0.0, w, "none")
    torch.testing.assert_close(sig, F.binary_cross_entropy_with_logits(
        logits, sig_target, reduction="none") * w)


def test_torchscript():
    @torch.jit.script
    def f(counts: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.class_weights(counts, "inverse_power", power=0.5)

    np.testing.assert_allclose(f(torch.from_numpy(COUNTS)).numpy(),
                               normalised(COUNTS ** -0.5), rtol=1e-12)
