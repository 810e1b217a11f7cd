"""CUDA kernels against the CPU kernels (values and gradients) and against torch peers on the GPU.

Every test is skipped where there is no CUDA device or where librebalance.so was built without
its CUDA kernels (REBALANCE_CUDA off, or a Torch without CUDA).
"""

import pytest
import torch
import torch.nn.functional as F

from grad_utils import value_and_grad


def _has_cuda_kernels():
    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(
            "rebalance::_sigmoid_focal_loss_forward", "CUDA")
    except (AttributeError, RuntimeError):
        return False


pytestmark = [
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
    pytest.mark.skipif(not _has_cuda_kernels(),
                       reason="librebalance.so has no CUDA kernels (built with REBALANCE_CUDA off "
                              "or against a Torch without CUDA)"),
]

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
REDUCTIONS = ["none", "sum", "mean"]
# (rtol, atol) of CUDA vs CPU for one dtype: both accumulate in float32 (float64 for double),
# so they differ by the last bits of exp/log and of the storage rounding.
TOL = {torch.float32: (2e-5, 1e-6), torch.float64: (1e-11, 1e-13),
       torch.float16: (2e-3, 1e-4), torch.bfloat16: (2e-2, 1e-3)}


def assert_close(cuda, cpu, dtype):
    rtol, atol = TOL[dtype]
    assert cuda.device.type == "cuda"
    assert cuda.dtype == cpu.dtype and cuda.shape == cpu.shape
    torch.testing.assert_close(cuda.cpu(), cpu, rtol=rtol, atol=atol)


def both_devices(fn, x, *tensors):
    """value_and_grad of fn on CPU and on CUDA copies of x and the other tensors."""
    cpu = value_and_grad(lambda z: fn(z, *tensors), x)
    gpu_tensors = [t.cuda() if isinstance(t, torch.Tensor) else t for t in tensors]
    gpu = value_and_grad(lambda z: fn(z, *gpu_tensors), x.cuda())
    return cpu, gpu


def sigmoid_op(alpha, gamma, reduction):
    return lambda z, t, w=None: torch.ops.rebalance.sigmoid_focal_loss(z, t, alpha, gamma, w,
                                                                       reduction)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
def test_sigmoid_matches_cpu(dtype, reduction, use_weight):
    torch.manual_seed(0)
    x = (torch.randn(37, 11, dtype=torch.float64) * 4).to(dtype)
    t = (torch.rand(37, 11) > 0.7).to(dtype)
    t[0, :5] = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=dtype)  # soft targets too
    w = (torch.rand(11, dtype=torch.float64) + 0.1).to(dtype) if use_weight else None
    for alpha, gamma in [(0.25, 2.0), (-1.0, 0.0), (0.6, 1.0), (0.25, 2.5)]:
        (v_cpu, g_cpu), (v_gpu, g_gpu) = both_devices(sigmoid_op(alpha, gamma, reduction),
                                                      x, t, w)
        assert_close(v_gpu, v_cpu, dtype)
        assert_close(g_gpu, g_cpu, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_equals_torchvision_on_cuda(reduction):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(1)
    x = torch.randn(64, 9, dtype=torch.float64, device="cuda") * 3
    t = (torch.rand(64, 9, device="cuda") > 0.8).double()
    ours = value_and_grad(lambda z: sigmoid_op(0.25, 2.0, reduction)(z, t), x)
    peer = value_and_grad(
        lambda z: torchvision.ops.sigmoid_focal_loss(z, t, 0.25, 2.0, reduction), x)
    torch.testing.assert_close(ours[0], peer[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], peer[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (0, 5), (5, 0), (), (7,)])
def test_sigmoid_trailing_dims_and_empty(shape):
    torch.manual_seed(2)
    x = torch.randn(shape)
    t = (torch.rand(shape) > 0.5).float()
    w = torch.rand(shape[-1] if shape else 1) + 0.5
    for reduction in REDUCTIONS:
        (v_cpu, g_cpu), (v_gpu, g_gpu) = both_devices(sigmoid_op(0.25, 2.0, reduction), x, t, w)
        assert_close(v_gpu, v_cpu, torch.float32)
        assert_close(g_gpu, g_cpu, torch.float32)


def test_sigmoid_large_reduction_is_deterministic():
    torch.manual_seed(3)
    x = torch.randn(1 << 20, device="cuda")
    t = (torch.rand(1 << 20, device="cuda") > 0.9).float()
    runs = [torch.ops.rebalance.sigmoid_focal_loss(x, t, 0.25, 2.0, None, "sum") for _ in range(3)]
    assert all(torch.equal(r, runs[0]) for r in runs)
    cpu = torch.ops.rebalance.sigmoid_focal_loss(x.cpu().double(), t.cpu().double(), 0.25, 2.0,
                                                 None, "sum")
    torch.testing.assert_close(runs[0].cpu().double(), cpu, rtol=1e-5, atol=0)


def test_sigmoid_errors_match_cpu():
    x = torch.randn(4, 3, device="cuda")
    t = torch.zeros(4, 3, device="cuda")
    bad = x.clone()
    bad[2, 1] = float("nan")
    with pytest.raises(ValueError, match="logits must be finite"):
        torch.ops.rebalance.sigmoid_focal_loss(bad, t, 0.25, 2.0, None, "mean")
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        torch.ops.rebalance.sigmoid_focal_loss(x, t + 2, 0.25, 2.0, None, "none")
    with pytest.raises(ValueError, match="targets must be on"):
        torch.ops.rebalance.sigmoid_focal_loss(x, t.cpu(), 0.25, 2.0, None, "mean")
    with pytest.raises(ValueError, match="class_weight must be non-negative"):
        torch.ops.rebalance.sigmoid_focal_loss(x, t, 0.25, 2.0, -torch.ones(3, device="cuda"),
                                               "mean")


def softmax_op(gamma, reduction, ignore_index, smoothing):
    return lambda z, y, w=None: torch.ops.rebalance.softmax_focal_loss(
        z, y, gamma, w, reduction, ignore_index, smoothing)


# C covers every lanes-per-row variant of the kernel (4, 8, 16, 32 lanes).
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_classes", [3, 20, 50, 300])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax_matches_cpu(dtype, num_classes, reduction):
    torch.manual_seed(4)
    x = (torch.randn(29, num_classes, dtype=torch.float64) * 3).to(dtype)
    y = torch.randint(0, num_classes, (29,))
    y[::5] = -1
    w = (torch.rand(num_classes, dtype=torch.float64) + 0.1).to(dtype)
    for gamma, weight, ignore, smoothing in [(2.0, None, -100, 0.0), (2.0, w, -1, 0.0),
                                             (0.5, w, -1, 0.2), (0.0, None, -1, 0.1)]:
        yy = y.clamp(min=0) if ignore == -100 else y
        (v_cpu, g_cpu), (v_gpu, g_gpu) = both_devices(
            softmax_op(gamma, reduction, ignore, smoothing), x, yy, weight)
        assert_close(v_gpu, v_cpu, dtype)
        assert_close(g_gpu, g_cpu, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_softmax_gamma_zero_equals_cross_entropy_on_cuda(reduction, smoothing):
    torch.manual_seed(5)
    x = torch.randn(6, 7, 4, 3, dtype=torch.float64, device="cuda")
    y = torch.randint(0, 7, (6, 4, 3), device="cuda")
    y[0, 0] = -100
    w = torch.rand(7, dtype=torch.float64, device="cuda") + 0.2
    ours = value_and_grad(lambda z: softmax_op(0.0, reduction, -100, smoothing)(z, y, w), x)
    peer = value_and_grad(lambda z: F.cross_entropy(z, y, weight=w, reduction=reduction,
                                                    label_smoothing=smoothing), x)
    torch.testing.assert_close(ours[0], peer[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], peer[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shapes", [((3, 5, 4, 2), (3, 4, 2)), ((0, 4), (0,)), ((5,), ()),
                                    ((2, 6, 0), (2, 0))])
def test_softmax_trailing_dims_unbatched_and_empty(shapes):
    torch.manual_seed(6)
    x_shape, y_shape = shapes
    num_classes = x_shape[0] if len(x_shape) == 1 else x_shape[1]
    x = torch.randn(x_shape)
    y = torch.randint(0, num_classes, y_shape)
    for reduction in REDUCTIONS:
        (v_cpu, g_cpu), (v_gpu, g_gpu) = both_devices(softmax_op(2.0, reduction, -100, 0.1), x, y)
        assert_close(v_gpu, v_cpu, torch.float32)
        assert_close(g_gpu, g_cpu, torch.float32)


def test_softmax_all_ignored_mean_is_zero():
    x = torch.randn(4, 3, device="cuda", requires_grad=True)
    y = torch.full((4,), -100, device="cuda")
    loss = torch.ops.rebalance.softmax_focal_loss(x, y, 2.0, None, "mean", -100, 0.0)
    loss.backward()
    assert loss.item() == 0 and torch.count_nonzero(x.grad).item() == 0


def test_softmax_large_reduction_is_deterministic():
    torch.manual_seed(7)
    x = torch.randn(1 << 16, 100, device="cuda")
    y = torch.randint(0, 100, (1 << 16,), device="cuda")
    runs = [torch.ops.rebalance.softmax_focal_loss(x, y, 2.0, None, "mean", -100, 0.1)
            for _ in range(3)]
    assert all(torch.equal(r, runs[0]) for r in runs)


def test_softmax_errors_match_cpu():
    x = torch.randn(5, 4, device="cuda")
    y = torch.tensor([0, 1, 7, 2, -3], device="cuda")
    with pytest.raises(IndexError, match=r"target must be in \[0, 4\) or ignore_index \(-100\), "
                                         r"got 7 at flat position 2"):
        torch.ops.rebalance.softmax_focal_loss(x, y, 2.0, None, "mean", -100, 0.0)
    bad = x.clone()
    bad[1, 2] = float("inf")
    with pytest.raises(ValueError, match="logits must be finite"):
        torch.ops.rebalance.softmax_focal_loss(bad, y.clamp(0, 3), 2.0, None, "sum", -100, 0.0)
    with pytest.raises(TypeError, match="target must be int64"):
        torch.ops.rebalance.softmax_focal_loss(x, y.int(), 2.0, None, "mean", -100, 0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ldam_matches_cpu(dtype, reduction):
    torch.manual_seed(8)
    x = torch.randn(257, 10, dtype=dtype) * 2
    y = torch.randint(0, 10, (257,))
    y[::9] = -100
    margins = torch.ops.rebalance.ldam_margins(torch.arange(1, 11) * 37, 0.5).to(dtype)
    w = torch.rand(10, dtype=dtype) + 0.5
    cpu, gpu = both_devices(
        lambda z, t, m, cw: torch.ops.rebalance.ldam_loss(z, t, m, 4.0, cw, reduction, -100),
        x, y, margins, w)
    assert_close(gpu[0], cpu[0], dtype)
    assert_close(gpu[1], cpu[1], dtype)
    with pytest.raises(ValueError, match="ldam_loss: margins must be finite"):
        torch.ops.rebalance.ldam_loss(x.cuda(), y.cuda(), torch.full((10,), float("nan"),
                                                                     device="cuda"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(300, 5), (300, 40), (50, 100), (4, 6, 7, 3), (9,)])
def test_confusion_matrix_logits_match_cpu(dtype, shape):
    torch.manual_seed(8)
    num_classes = shape[0] if len(shape) == 1 else shape[1]
    x = torch.randn(shape).to(dtype)
    if len(shape) == 2:
        x[3, 1] = float("nan")  # argmax picks the NaN
        x[4, :] = 1.0  # ties: the first index
    y_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    y = torch.randint(0, num_classes, y_shape)
    if y.dim() > 0:
        y.view(-1)[::7] = -100
    cpu = torch.ops.rebalance.confusion_matrix(x, y, num_classes, -100)
    gpu = torch.ops.rebalance.confusion_matrix(x.cuda(), y.cuda(), num_classes, -100)
    assert gpu.device.type == "cuda" and gpu.dtype == torch.int64
    assert torch.equal(gpu.cpu(), cpu)


@pytest.mark.parametrize("num_classes", [3, 70])
def test_confusion_matrix_predictions_match_bincount(num_classes):
    torch.manual_seed(9)
    y = torch.randint(0, num_classes, (5000,), device="cuda")
    p = torch.randint(0, num_classes, (5000,), device="cuda")
    y[::11] = -1
    ours = torch.ops.rebalance.confusion_matrix(p, y, num_classes, -1)
    keep = y != -1
    ref = torch.bincount(y[keep] * num_classes + p[keep], minlength=num_classes ** 2)
    assert torch.equal(ours, ref.view(num_classes, num_classes))


def test_confusion_matrix_errors_match_cpu():
    y = torch.tensor([0, 1, 5, 2], device="cuda")
    p = torch.tensor([0, 1, 1, 9], device="cuda")
    with pytest.raises(IndexError, match=r"target must be in \[0, 3\) .* got 5 at flat index 2"):
        torch.ops.rebalance.confusion_matrix(p, y, 3, -100)
    with pytest.raises(IndexError, match=r"predictions must be in \[0, 3\), got 9 at flat index 3"):
        torch.ops.rebalance.confusion_matrix(p, y.clamp(max=2), 3, -100)
    empty = torch.ops.rebalance.confusion_matrix(p[:0], y[:0], 3, -100)
    assert torch.equal(empty.cpu(), torch.zeros(3, 3, dtype=torch.int64))


def test_class_metrics_update_with_cuda_tensors():
    torch.manual_seed(10)
    x = torch.randn(200, 4)
    y = torch.randint(0, 4, (200,))
    cpu = torch.classes.rebalance.ClassMetrics(4, -100)
    gpu = torch.classes.rebalance.ClassMetrics(4, -100)
    cpu.update(x, y)
    gpu.update(x.cuda(), y.cuda())
    assert torch.equal(gpu.state(), cpu.state())


def _clusters(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (torch.rand(n, generator=g) < 0.2).long()
    return x, y


def test_knn_on_cuda_matches_cpu():
    x, _ = _clusters(500, 6, 11)
    q = x[:77]
    d_cpu, i_cpu = torch.ops.rebalance.knn(q, x, 5, False, 1 << 20)
    d_gpu, i_gpu = torch.ops.rebalance.knn(q.cuda(), x.cuda(), 5, False, 1 << 20)
    assert d_gpu.device.type == "cuda" and i_gpu.device.type == "cuda"
    assert torch.equal(i_gpu.cpu(), i_cpu)
    torch.testing.assert_close(d_gpu.cpu(), d_cpu, rtol=1e-9, atol=1e-9)
    _, self_gpu = torch.ops.rebalance.knn(x.cuda(), x.cuda(), 3, True, 1 << 16)
    _, self_cpu = torch.ops.rebalance.knn(x, x, 3, True, 1 << 16)
    assert torch.equal(self_gpu.cpu(), self_cpu)


def test_tomek_links_on_cuda_matches_cpu():
    x, y = _clusters(400, 4, 12)
    cpu = torch.ops.rebalance.tomek_links(x, y, "auto", None, 1 << 20)
    gpu = torch.ops.rebalance.tomek_links(x.cuda(), y.cuda(), "auto", None, 1 << 20)
    assert torch.equal(gpu.cpu(), cpu)


def test_smote_on_cuda_matches_cpu():
    x, y = _clusters(300, 5, 13)
    cpu = torch.ops.rebalance.smote(x, y, "auto", -1.0, None, 5, 3, 1 << 20)
    gpu = torch.ops.rebalance.smote(x.cuda(), y.cuda(), "auto", -1.0, None, 5, 3, 1 << 20)
    assert len(cpu) == len(gpu)
    for a, b in zip(gpu, cpu):
        assert a.device.type == "cuda"
        torch.testing.assert_close(a.cpu(), b, rtol=1e-9, atol=1e-9)


def test_cluster_centroids_on_cuda_matches_cpu():
    x, y = _clusters(300, 3, 14)
    cpu = torch.ops.rebalance.cluster_centroids(x, y, "auto", -1.0, None, "soft", 100, 1e-4, 0,
                                                1 << 20)
    gpu = torch.ops.rebalance.cluster_centroids(x.cuda(), y.cuda(), "auto", -1.0, None, "soft",
                                                100, 1e-4, 0, 1 << 20)
    for a, b in zip(gpu, cpu):
        assert a.device.type == "cuda"
        torch.testing.assert_close(a.cpu(), b, rtol=1e-7, atol=1e-7)


def test_knn_on_cuda_respects_the_memory_budget():
    torch.manual_seed(15)
    x = torch.randn(8192, 32, device="cuda")
    budget = 4 << 20  # the full 8192 x 8192 float32 distance matrix would be 256 MiB
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    d, i = torch.ops.rebalance.knn(x, x, 5, True, budget)
    torch.cuda.synchronize()
    extra = torch.cuda.max_memory_allocated() - base
    assert extra < 16 * budget, f"knn held {extra / 2**20:.0f} MiB with a 4 MiB budget"
    _, i_cpu = torch.ops.rebalance.knn(x[:64].cpu(), x.cpu(), 5, False, budget)
    assert torch.equal(i[:64, :4].cpu(), i_cpu[:, 1:])
