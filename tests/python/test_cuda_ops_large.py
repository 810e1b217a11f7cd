"""CUDA kernels on inputs large enough for their multi-block, grid-stride and second-pass paths,
on non-contiguous and channels-last layouts, and in float16/bfloat16 against float64 references.

The references are the CPU kernels (an independent implementation of the same formulas),
torch.bincount and float64 computations. Skipped without a CUDA device or CUDA kernels.
Sizes: the reducing kernels run at most 1024 blocks (reduce.cuh), so every size below makes
each block loop over its rows or tiles many times before the single-block second pass.
"""

import pytest
import torch

from grad_utils import value_and_grad
from test_cuda_ops import pytestmark  # noqa: F401  (the same skips)

ops = torch.ops.rebalance


def close_on_gpu(got, want, rtol, atol):
    """assert_close on the GPU (the CPU would need several copies of these sizes); atol is
    relative to the largest reference value, so that tiny "mean" gradients are compared too."""
    want = want.to(got.device, got.dtype)
    scale = want.abs().max().item() if want.numel() else 0.0
    torch.testing.assert_close(got, want, rtol=rtol, atol=atol * scale)


def cpu_and_cuda(fn, x_cuda, *args):
    """value_and_grad of fn on the CUDA input and on its CPU copy (args moved alike)."""
    cpu_args = [a.cpu() if isinstance(a, torch.Tensor) else a for a in args]
    gpu = value_and_grad(lambda z: fn(z, *args), x_cuda)
    cpu = value_and_grad(lambda z: fn(z, *cpu_args), x_cuda.cpu())
    return cpu, gpu


def softmax(reduction, smoothing=0.0, gamma=2.0, ignore_index=-100):
    return lambda z, y, w=None: ops.softmax_focal_loss(z, y, gamma, w, reduction, ignore_index,
                                                       smoothing)


def sigmoid(reduction, alpha=0.25, gamma=2.0):
    return lambda z, t, w=None: ops.sigmoid_focal_loss(z, t, alpha, gamma, w, reduction)


# 2^20 rows at C = 10 are 16 passes of the 4-lanes grid (1024 blocks x 64 rows); 2^18 rows at
# C = 1000 (1 GiB of float32 logits) are 32 passes of the 32-lanes grid (1024 x 8 rows).
@pytest.mark.parametrize("rows, num_classes", [(1 << 20, 10), (1 << 18, 1000)])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_softmax_many_rows_matches_cpu(rows, num_classes, reduction):
    g = torch.Generator(device="cuda").manual_seed(20)
    x = torch.randn(rows, num_classes, device="cuda", generator=g) * 3
    y = torch.randint(0, num_classes, (rows,), device="cuda", generator=g)
    y[::13] = -100
    w = torch.rand(num_classes, device="cuda", generator=g) + 0.1
    (v_cpu, g_cpu), (v_gpu, g_gpu) = cpu_and_cuda(softmax(reduction, 0.1), x, y, w)
    close_on_gpu(v_gpu, v_cpu, rtol=2e-5, atol=1e-6)
    close_on_gpu(g_gpu, g_cpu, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_sigmoid_2_pow_24_elements_match_cpu(reduction):
    g = torch.Generator(device="cuda").manual_seed(21)
    n, num_classes = 1 << 24, 64
    x = torch.randn(n, device="cuda", generator=g).view(-1, num_classes) * 4
    t = (torch.rand(x.shape, device="cuda", generator=g) > 0.9).float()
    w = torch.rand(num_classes, device="cuda", generator=g) + 0.1
    (v_cpu, g_cpu), (v_gpu, g_gpu) = cpu_and_cuda(sigmoid(reduction), x, t, w)
    close_on_gpu(v_gpu, v_cpu, rtol=2e-5, atol=1e-6)
    close_on_gpu(g_gpu, g_cpu, rtol=2e-5, atol=1e-6)
    if reduction != "none":  # the float32 reduction against one in float64
        v64 = ops.sigmoid_focal_loss(x.double(), t.double(), 0.25, 2.0, w.double(), reduction)
        close_on_gpu(v_gpu.double(), v64, rtol=1e-6, atol=0)


def test_sigmoid_sum_of_2_pow_28_equal_elements_is_exact():
    # Every element has the same float32 loss l, so the exact sum is 2^28 l, a float32 number.
    # Per-thread float64 sums reach it exactly; float32 ones (1024 elements a thread) would not.
    n = 1 << 28
    x = torch.full((n,), 0.3, device="cuda")
    t = torch.full((n,), 1.0, device="cuda")
    one = ops.sigmoid_focal_loss(x[:1], t[:1], 0.25, 2.0, None, "sum")
    total = ops.sigmoid_focal_loss(x, t, 0.25, 2.0, None, "sum")
    assert total.item() == n * one.item()
    assert ops.sigmoid_focal_loss(x, t, 0.25, 2.0, None, "mean").item() == one.item()


def test_softmax_channels_last_and_non_contiguous_match_cpu():
    g = torch.Generator(device="cuda").manual_seed(22)
    x = torch.randn(8, 19, 33, 31, device="cuda", generator=g) * 2
    y = torch.randint(0, 19, (8, 33, 31), device="cuda", generator=g)
    y[:, ::4] = -100
    channels_last = lambda z: z.contiguous(memory_format=torch.channels_last)  # noqa: E731
    layouts = {
        "channels_last": channels_last,
        "strided": lambda z: z[:, :, ::2, 1::2],
        "transposed": lambda z: z.transpose(2, 3),
    }
    for name, layout in layouts.items():
        yy = layout(y.unsqueeze(1)).squeeze(1)
        fn = lambda z, yt: softmax("mean", 0.05)(layout(z), yt)  # noqa: E731
        assert not layout(x).is_contiguous(), name
        (v_cpu, g_cpu), (v_gpu, g_gpu) = cpu_and_cuda(fn, x, yy)
        close_on_gpu(v_gpu, v_cpu, rtol=2e-5, atol=1e-6)
        close_on_gpu(g_gpu, g_cpu, rtol=2e-5, atol=1e-6)


def test_sigmoid_non_contiguous_matches_cpu():
    g = torch.Generator(device="cuda").manual_seed(23)
    x = torch.randn(300, 2, 70, device="cuda", generator=g) * 3
    t = (torch.rand(300, 70, device="cuda", generator=g) > 0.8).float().t()
    w = torch.rand(300, device="cuda", generator=g) + 0.1
    fn = lambda z, tt, ww: sigmoid("none")(z[:, 1, :].t(), tt, ww)  # noqa: E731
    (v_cpu, g_cpu), (v_gpu, g_gpu) = cpu_and_cuda(fn, x, t, w)
    close_on_gpu(v_gpu, v_cpu, rtol=2e-5, atol=1e-6)
    close_on_gpu(g_gpu, g_cpu, rtol=2e-5, atol=1e-6)


# Storage rounding (2^-11 float16, 2^-8 bfloat16) bounds the error against float64 math on the
# same rounded inputs; the reductions accumulate in float64.
LOW = {torch.float16: 2e-3, torch.bfloat16: 1.6e-2}


@pytest.mark.parametrize("dtype", list(LOW))
def test_low_precision_against_float64(dtype):
    g = torch.Generator(device="cuda").manual_seed(24)
    # 4096 rows: a float16 "sum" of more would overflow (65504).
    x = (torch.randn(1 << 12, 37, device="cuda", generator=g) * 3).to(dtype)
    y = torch.randint(0, 37, (1 << 12,), device="cuda", generator=g)
    t = (torch.rand(x.shape, device="cuda", generator=g) > 0.7).to(dtype)
    rtol = LOW[dtype]
    for name, fn, target in [("softmax", softmax("sum", 0.1), y), ("sigmoid", sigmoid("sum"), t)]:
        v, grad = value_and_grad(lambda z: fn(z, target), x)
        v64, grad64 = value_and_grad(lambda z: fn(z, target.double() if name == "sigmoid"
                                                  else target), x.double())
        assert v.dtype == dtype and grad.dtype == dtype, name
        close_on_gpu(v.double(), v64, rtol=rtol, atol=0)
        close_on_gpu(grad.double(), grad64, rtol=rtol, atol=rtol * 1e-3)
        for reduction in ("none", "mean"):
            f = softmax(reduction) if name == "softmax" else sigmoid(reduction)
            out = f(x, target)
            ref = f(x.double(), target if name == "softmax" else target.double())
            close_on_gpu(out.double(), ref, rtol=rtol, atol=rtol * 1e-3)


def bincount_reference(pred, y, num_classes, ignore_index=-100):
    keep = y != ignore_index
    flat = y[keep] * num_classes + pred[keep]
    return torch.bincount(flat.cpu(), minlength=num_classes ** 2).view(num_classes, num_classes)


# Kernel variants (cuda/confusion_matrix_kernel.cu): int64 predictions, logits one thread per position
# (C < 32 or trailing dims), logits one warp per row (C >= 32); each with the per-block
# shared-memory matrix (C * C <= 4096) and with global atomics (C > 64).
@pytest.mark.parametrize("num_classes", [10, 50, 100])
@pytest.mark.parametrize("kind", ["predictions", "rows", "positions"])
def test_confusion_matrix_a_million_positions(kind, num_classes):
    g = torch.Generator(device="cuda").manual_seed(25)
    positions = 1 << 20
    if kind == "predictions":
        x = torch.randint(0, num_classes, (positions,), device="cuda", generator=g)
        y = torch.randint(0, num_classes, (positions,), device="cuda", generator=g)
        pred = x
    elif kind == "rows":
        x = torch.randn(positions, num_classes, device="cuda", generator=g)
        y = torch.randint(0, num_classes, (positions,), device="cuda", generator=g)
        pred = x.argmax(1)
    else:  # (N, C, H, W), channels-last in memory
        x = torch.randn(16, num_classes, 256, 256, device="cuda", generator=g)
        x = x.contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, num_classes, (16, 256, 256), device="cuda", generator=g)
        pred = x.argmax(1)
    y.view(-1)[::17] = -100
    got = ops.confusion_matrix(x, y, num_classes, -100)
    want = bincount_reference(pred.reshape(-1), y.reshape(-1), num_classes)
    assert torch.equal(got.cpu(), want)
    assert got.sum().item() == (y != -100).sum().item()
