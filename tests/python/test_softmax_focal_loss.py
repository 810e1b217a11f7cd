"""rebalance::softmax_focal_loss against F.cross_entropy (gamma = 0) and a composite."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from grad_utils import value_and_grad

op = torch.ops.rebalance.softmax_focal_loss


def composite_focal(logits, target, gamma, weight, reduction, ignore_index, smoothing):
    """Independent reference: sum_c q_c w_c (1 - p_c)^gamma (-log p_c) from log_softmax."""
    num_classes = logits.shape[1]
    logp = F.log_softmax(logits, dim=1)
    valid = target != ignore_index
    safe_target = torch.where(valid, target, torch.zeros_like(target))
    q = F.one_hot(safe_target, num_classes).movedim(-1, 1).to(logits.dtype)
    q = (1 - smoothing) * q + smoothing / num_classes
    w = torch.ones(num_classes, dtype=logits.dtype) if weight is None else weight
    w_b = w.view([1, -1] + [1] * (logits.dim() - 2))
    per_class = q * w_b * (1 - logp.exp()) ** gamma * (-logp)
    loss = per_class.sum(1) * valid
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (w[safe_target] * valid).sum()


def make_case(seed, shape, num_classes, ignore=True):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn((shape[0], num_classes) + tuple(shape[1:]), generator=g,
                         dtype=torch.float64) * 3
    target = torch.randint(0, num_classes, shape, generator=g)
    if ignore:
        target.view(-1)[:: 5] = -100
    weight = torch.rand(num_classes, generator=g, dtype=torch.float64) + 0.1
    return logits, target, weight


@pytest.mark.parametrize("shape", [(7,), (4, 3), (2, 3, 2)])
@pytest.mark.parametrize("use_weight, use_ignore, smoothing, reduction", list(itertools.product(
    [False, True], [False, True], [0.0, 0.1, 1.0], ["none", "mean", "sum"])))
def test_gamma_zero_equals_cross_entropy(shape, use_weight, use_ignore, smoothing, reduction):
    logits, target, weight = make_case(0, shape, 5, ignore=use_ignore)
    w = weight if use_weight else None
    ours = value_and_grad(lambda z: op(z, target, 0.0, w, reduction, -100, smoothing), logits)
    ref = value_and_grad(lambda z: F.cross_entropy(z, target, weight=w, reduction=reduction,
                                                   ignore_index=-100,
                                                   label_smoothing=smoothing), logits)
    torch.testing.assert_close(ours[0], ref[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], ref[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 3.3])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_focal_matches_composite_reference(gamma, smoothing, reduction):
    for seed, shape, num_classes in ((1, (9,), 3), (2, (3, 4), 17), (3, (2, 2, 3), 4)):
        logits, target, weight = make_case(seed, shape, num_classes)
        for w in (None, weight):
            ours = value_and_grad(
                lambda z: op(z, target, gamma, w, reduction, -100, smoothing), logits)
            ref = value_and_grad(
                lambda z: composite_focal(z, target, gamma, w, reduction, -100, smoothing), logits)
            torch.testing.assert_close(ours[0], ref[0], rtol=1e-9, atol=1e-12)
            torch.testing.assert_close(ours[1], ref[1], rtol=1e-9, atol=1e-12)


def test_gradcheck():
    logits, target, weight = make_case(4, (5,), 4)
    x = logits.clone().requires_grad_(True)
    for gamma, smoothing, reduction in itertools.product((0.0, 0.5, 2.0), (0.0, 0.3),
                                                         ("none", "mean")):
        assert torch.autograd.gradcheck(
            lambda z: op(z, target, gamma, weight, reduction, -100, smoothing), (x,),
            eps=1e-6, atol=1e-7)


def test_mmcv_published_values():
    """mmcv's test_focal_loss: gamma 2, alpha 0.25 as a uniform weight, sum / batch size."""
    cases = [([[1.0, 0.0], [0.0, 1.0]], [0, 1], 0.00566451),
             ([[1.0, 0.0, -1.0], [0.0, 1.0, 2.0]], [2, 1], 0.34956908)]
    for logits, target, expected in cases:
        x = torch.tensor(logits)
        w = torch.full((x.shape[1],), 0.25)
        loss = op(x, torch.tensor(target), 2.0, w, "sum", -100, 0.0) / x.shape[0]
        assert abs(loss.item() - expected) < 1e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_extreme_logits_stay_finite(dtype, gamma, smoothing):
    x = torch.tensor([[100.0, -100.0, 0.0], [-100.0, 100.0, -100.0], [100.0, 100.0, -100.0]],
                     dtype=dtype)
    target = torch.tensor([0, 0, 2])
    loss, grad = value_and_grad(lambda z: op(z, target, gamma, None, "none", -100, smoothing), x)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
    ce = F.cross_entropy(x.double(), target, reduction="none", label_smoothing=smoothing)
    if gamma == 0:
        torch.testing.assert_close(loss.double(), ce, rtol=1e-5, atol=1e-6)
    assert loss[1] > 150  # confidently wrong by 200 logits


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision_accumulates_in_float32(dtype):
    logits, target, weight = make_case(5, (40,), 11)
    x = logits.to(dtype)
    ours, grad = value_and_grad(lambda z: op(z, target, 2.0, weight, "mean", -100, 0.1), x)
    ref, ref_grad = value_and_grad(
        lambda z: composite_focal(z, target, 2.0, weight, "mean", -100, 0.1), x.double())
    assert ours.dtype == dtype and grad.dtype == dtype
    torch.testing.assert_close(ours.double(), ref, rtol=1e-2, atol=1e-3)
    torch.testing.assert_close(grad.double(), ref_grad, rtol=2e-2, atol=2e-3)


def test_non_contiguous_empty_all_ignored_and_unbatched():
    logits, target, weight = make_case(6, (6, 5), 4)
    x = logits.transpose(2, 1).contiguous().transpose(2, 1)  # same values, channels-last strides
    assert not x.is_contiguous()
    ours = value_and_grad(lambda z: op(z, target, 2.0, weight, "mean", -100, 0.0), x)
    ref = value_and_grad(lambda z: composite_focal(z, target, 2.0, weight, "mean", -100, 0.0), x)
    torch.testing.assert_close(ours[0], ref[0])
    torch.testing.assert_close(ours[1], ref[1])

    empty = torch.zeros(0, 3, requires_grad=True)
    loss = op(empty, torch.zeros(0, dtype=torch.long), 2.0, None, "mean", -100, 0.0)
    assert loss.item() == 0.0  # F.cross_entropy gives NaN here; we define 0
    loss.backward()
    ignored = torch.randn(3, 3, requires_grad=True)
    loss = op(ignored, torch.full((3,), -100), 2.0, None, "mean", -100, 0.0)
    loss.backward()
    assert loss.item() == 0.0 and (ignored.grad == 0).all()

    unbatched = torch.randn(5, dtype=torch.float64)
    t = torch.tensor(3)
    ours = value_and_grad(lambda z: op(z, t, 0.0, None, "none", -100, 0.0), unbatched)
    ref = value_and_grad(lambda z: F.cross_entropy(z, t, reduction="none"), unbatched)
    torch.testing.assert_close(ours[0], ref[0])
    torch.testing.assert_close(ours[1], ref[1])


def test_many_classes_and_rows_match_cross_entropy_in_float32():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(300, 1003, generator=g) * 5
    t = torch.randint(0, 1003, (300,), generator=g)
    ours = value_and_grad(lambda z: op(z, t, 0.0, None, "mean", -100, 0.0), x)
    ref = value_and_grad(lambda z: F.cross_entropy(z, t), x)
    torch.testing.assert_close(ours[0], ref[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours[1], ref[1], rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: op(torch.randn(3, 2), torch.zeros(3).int()), TypeError, "int64"),
        (lambda: op(torch.randn(3, 2).long(), torch.zeros(3).long()), TypeError, "floating"),
        (lambda: op(torch.randn(3, 2), torch.zeros(4).long()), ValueError, "target must have"),
        (lambda: op(torch.randn(3, 2), torch.tensor([0, 2, 1])), IndexError, "got 2"),
        (lambda: op(torch.randn(3, 2), torch.tensor([0, -1, 1])), IndexError, "got -1"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3).long(), 2.0, torch.ones(3)), ValueError,
         "class_weight must have shape"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3).long(), 2.0, torch.tensor([1.0, -1.0])),
         ValueError, "non-negative"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3).long(), 2.0, None, "avg"), ValueError,
         "reduction"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3).long(), 2.0, None, "mean", -100, 1.5),
         ValueError, "label_smoothing"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3).long(), float("nan")), ValueError, "gamma"),
        (lambda: op(torch.tensor([[float("nan"), 0.0]]), torch.zeros(1).long()), ValueError,
         "finite"),
        (lambda: op(torch.tensor([[float("inf"), 0.0]]), torch.zeros(1).long()), ValueError,
         "finite"),
    ],
)
def test_bad_input_raises_clear_errors(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "softmax_focal_loss" in str(info.value)
