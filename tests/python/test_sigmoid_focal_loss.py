"""rebalance::sigmoid_focal_loss against torchvision.ops.sigmoid_focal_loss."""

import os
import subprocess
import sys

import pytest
import torch
from torchvision_compat import import_torchvision

from grad_utils import value_and_grad

torchvision = import_torchvision()

op = torch.ops.rebalance.sigmoid_focal_loss


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_matches_torchvision_value_and_grad(seed, reduction):
    g = torch.Generator().manual_seed(seed)
    shape = [int(s) for s in torch.randint(1, 9, (int(torch.randint(1, 4, (1,), generator=g)),),
                                           generator=g)]
    x = torch.randn(shape, generator=g, dtype=torch.float64) * 4
    t = torch.rand(shape, generator=g, dtype=torch.float64)
    if seed % 2 == 0:
        t = (t > 0.5).double()
    for alpha in (0.25, 0.9, -1.0):
        for gamma in (0.0, 0.5, 1.0, 2.0, 3.7):
            ours = value_and_grad(lambda z: op(z, t, alpha, gamma, None, reduction), x)
            ref = value_and_grad(
                lambda z: torchvision.ops.sigmoid_focal_loss(z, t, alpha, gamma, reduction), x)
            torch.testing.assert_close(ours[0], ref[0], rtol=1e-10, atol=1e-12)
            torch.testing.assert_close(ours[1], ref[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_class_weight_scales_last_dimension(reduction):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 5, generator=g, dtype=torch.float64)
    t = (torch.rand(4, 3, 5, generator=g) > 0.7).double()
    w = torch.rand(5, generator=g, dtype=torch.float64) * 3
    ours = value_and_grad(lambda z: op(z, t, 0.25, 2.0, w, reduction), x)

    def ref_fn(z):
        per_element = torchvision.ops.sigmoid_focal_loss(z, t, 0.25, 2.0, "none") * w
        return {"none": per_element, "mean": per_element.mean(), "sum": per_element.sum()}[
            reduction]

    ref = value_and_grad(ref_fn, x)
    torch.testing.assert_close(ours[0], ref[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], ref[1], rtol=1e-10, atol=1e-12)


def test_gradcheck():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    t = torch.rand(6, 4, generator=g, dtype=torch.float64)
    w = torch.rand(4, generator=g, dtype=torch.float64)
    for gamma in (0.0, 0.5, 2.0):
        for reduction in ("none", "mean", "sum"):
            assert torch.autograd.gradcheck(
                lambda z: op(z, t, 0.3, gamma, w, reduction), (x,), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_extreme_logits_stay_finite(dtype, gamma):
    x = torch.tensor([[-100.0, 100.0, -100.0, 100.0, 0.0, 30.0]], dtype=dtype)
    t = torch.tensor([[0.0, 1.0, 1.0, 0.0, 0.5, 0.3]], dtype=dtype)
    loss, grad = value_and_grad(lambda z: op(z, t, 0.25, gamma, None, "none"), x)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
    # A confident wrong logit of 100 costs 100 times alpha_t (0.25 for t=1, 0.75 for t=0).
    assert abs(loss[0, 2].item() - 25.0) < 1e-3 and abs(loss[0, 3].item() - 75.0) < 1e-3
    assert abs(loss[0, 0]) < 1e-30 and abs(loss[0, 1]) < 1e-30


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision_accumulates_in_float32(dtype):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(64, 33, generator=g).to(dtype)
    t = (torch.rand(64, 33, generator=g) > 0.8).to(dtype)
    for reduction in ("none", "mean", "sum"):
        ours, grad = value_and_grad(lambda z: op(z, t, 0.25, 2.0, None, reduction), x)
        ref, ref_grad = value_and_grad(
            lambda z: torchvision.ops.sigmoid_focal_loss(z, t.float(), 0.25, 2.0, reduction),
            x.float())
        assert ours.dtype == dtype and grad.dtype == dtype
        tol = 1e-2 if dtype == torch.bfloat16 else 2e-3
        torch.testing.assert_close(ours.float(), ref, rtol=tol, atol=tol * 1e-2)
        torch.testing.assert_close(grad.float(), ref_grad, rtol=tol, atol=tol * 1e-3)


def test_non_contiguous_and_empty_inputs():
    g = torch.Generator().manual_seed(4)
    base = torch.randn(8, 10, generator=g, dtype=torch.float64)
    x = base.t()[::2]  # non-contiguous view
    t = (torch.rand(10, 8, generator=g, dtype=torch.float64) > 0.5).double()[::2]
    assert not x.is_contiguous()
    ours = value_and_grad(lambda z: op(z, t, 0.25, 2.0, None, "sum"), x)
    ref = value_and_grad(lambda z: torchvision.ops.sigmoid_focal_loss(z, t, 0.25, 2.0, "sum"), x)
    torch.testing.assert_close(ours[0], ref[0])
    torch.testing.assert_close(ours[1], ref[1])

    empty = torch.zeros(0, 5, requires_grad=True)
    for reduction, expected_shape in (("none", (0, 5)), ("mean", ()), ("sum", ())):
        loss = op(empty, torch.zeros(0, 5), 0.25, 2.0, None, reduction)
        assert loss.shape == expected_shape
        assert torch.isfinite(loss).all()
        loss.sum().backward()
    assert empty.grad.shape == (0, 5)


def test_large_input_matches_torchvision_in_float32():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(4097, 3, generator=g) * 3  # not a multiple of the block or vector width
    t = (torch.rand(4097, 3, generator=g) > 0.9).float()
    ours = value_and_grad(lambda z: op(z, t, 0.25, 2.0, None, "mean"), x)
    ref = value_and_grad(lambda z: torchvision.ops.sigmoid_focal_loss(z, t, 0.25, 2.0, "mean"), x)
    torch.testing.assert_close(ours[0], ref[0], rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(ours[1], ref[1], rtol=1e-4, atol=1e-9)


def test_no_grad_and_inference_mode():
    x = torch.randn(5, 3, requires_grad=True)
    t = (torch.rand(5, 3) > 0.5).float()
    expected = torchvision.ops.sigmoid_focal_loss(x.detach(), t, reduction="sum")
    with torch.no_grad():
        torch.testing.assert_close(op(x, t, 0.25, 2.0, None, "sum"), expected)
    with torch.inference_mode():
        torch.testing.assert_close(op(x.detach(), t, 0.25, 2.0, None, "sum"), expected)


def test_portable_kernels_match_torchvision():
    """The non-AVX2 build of the kernels, forced through the environment, in a subprocess."""
    code = (
        "import torch, rebalance\n"
        "from torchvision_compat import import_torchvision\n"
        "torchvision = import_torchvision()\n"
        "x = torch.randn(300, 7, dtype=torch.float64, requires_grad=True)\n"
        "t = (torch.rand(300, 7) > 0.5).double()\n"
        "a = torch.ops.rebalance.sigmoid_focal_loss(x, t, 0.25, 1.5, None, 'sum')\n"
        "b = torchvision.ops.sigmoid_focal_loss(x, t, 0.25, 1.5, 'sum')\n"
        "ga, = torch.autograd.grad(a, x); gb, = torch.autograd.grad(b, x)\n"
        "torch.testing.assert_close(a, b); torch.testing.assert_close(ga, gb)\n")
    env = dict(os.environ, REBALANCE_CPU_CAPABILITY="default",
               PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: op(torch.randn(3, 2).long(), torch.zeros(3, 2)), TypeError, "logits must be"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 2).long()), TypeError, "targets must be"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 3)), ValueError, "shape of logits"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 2), 0.25, -1.0), ValueError, "gamma"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 2), 1.5), ValueError, "alpha"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 2), 0.25, 2.0, torch.ones(3)), ValueError,
         "class_weight must have shape"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 2), 0.25, 2.0, -torch.ones(2)), ValueError,
         "non-negative"),
        (lambda: op(torch.randn(3, 2), torch.zeros(3, 2), 0.25, 2.0, None, "avg"), ValueError,
         "reduction must be"),
        (lambda: op(torch.tensor([[float("nan"), 0.0]]), torch.zeros(1, 2)), ValueError,
         "logits must be finite"),
        (lambda: op(torch.zeros(1, 2), torch.tensor([[0.0, 2.0]])), ValueError, r"\[0, 1\]"),
    ],
)
def test_bad_input_raises_clear_errors(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "sigmoid_focal_loss" in str(info.value)


def test_targets_requiring_grad_are_rejected():
    with pytest.raises(ValueError, match="targets"):
        op(torch.randn(2, 2, requires_grad=True), torch.rand(2, 2, requires_grad=True))
