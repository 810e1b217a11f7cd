"""The training path makes no device-to-host synchronisation (rebalance.checks, issues 13/18).

On the CPU: a training step (forward + backward of each focal loss) records no aten::item or
aten::_local_scalar_dense, with the checks on or off, and the checks' errors still fire. On CUDA
(skipped without a GPU): with checks off a step passes torch.cuda.set_sync_debug_mode("error"),
with checks on it does not, the unchecked results are the documented ones, and a training step
captured into a CUDA graph replays to the eager values.
"""

import pytest
import torch

import rebalance

SYNC_OPS = {"aten::item", "aten::_local_scalar_dense"}


def focal_steps(device, dtype=torch.float32):
    """(name, fn) pairs: fn() runs one forward + backward of a loss and returns (loss, grad)."""
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(64, 7, generator=g, dtype=torch.float64) * 3).to(device, dtype)
    t = (torch.rand(64, 7, generator=g) > 0.7).to(device, dtype)
    y = torch.randint(0, 7, (64,), generator=g)
    y[::9] = -100
    y = y.to(device)
    w = (torch.rand(7, generator=g, dtype=torch.float64) + 0.2).to(device, dtype)

    def run(loss_fn):
        z = x.detach().clone().requires_grad_(True)
        loss = loss_fn(z)
        loss.backward()
        return loss.detach(), z.grad

    steps = []
    for reduction in ("mean", "sum", "none"):
        steps.append((f"sigmoid-{reduction}", lambda r=reduction: run(
            lambda z: rebalance.SigmoidFocalLoss(class_weight=w, reduction=r)(z, t).sum())))
        steps.append((f"softmax-{reduction}", lambda r=reduction: run(
            lambda z: rebalance.SoftmaxFocalLoss(class_weight=w, reduction=r,
                                                 label_smoothing=0.1)(z, y).sum())))
    return steps


def sync_ops_recorded(fn):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        fn()
    return sorted({e.name for e in prof.events() if e.name in SYNC_OPS})


def test_checks_switch_defaults_on_and_the_context_restores_it():
    assert rebalance.checks_enabled()
    with rebalance.checks(False):
        assert not rebalance.checks_enabled()
        with rebalance.checks(True):
            assert rebalance.checks_enabled()
        assert not rebalance.checks_enabled()
    assert rebalance.checks_enabled()
    assert rebalance.set_checks(False) is True
    assert rebalance.set_checks(True) is False


def test_the_profiler_sees_an_item_call():
    # The detector itself: a step that does sync is caught.
    assert sync_ops_recorded(lambda: torch.ones(3).sum().item()) != []


@pytest.mark.parametrize("enabled", [False, True])
def test_cpu_training_step_records_no_item(enabled):
    with rebalance.checks(enabled):
        for name, step in focal_steps("cpu"):
            assert sync_ops_recorded(step) == [], name


def test_cpu_values_and_gradients_do_not_depend_on_checks():
    for (name, step), (_, step_off) in zip(focal_steps("cpu"), focal_steps("cpu")):
        loss, grad = step()
        with rebalance.checks(False):
            loss_off, grad_off = step_off()
        assert torch.equal(loss, loss_off) and torch.equal(grad, grad_off), name


@pytest.mark.parametrize("enabled", [True, False])
def test_cpu_checks_always_raise(enabled):
    # On the CPU the checks are part of the kernels' pass (no sync), so they stay on.
    x = torch.randn(5, 4)
    with rebalance.checks(enabled):
        with pytest.raises(IndexError, match=r"softmax_focal_loss: target must be in \[0, 4\)"):
            torch.ops.rebalance.softmax_focal_loss(x, torch.tensor([0, 1, 7, 2, 3]), 2.0, None,
                                                   "mean", -100, 0.0)
        nan = x.clone()
        nan[1, 2] = float("nan")
        with pytest.raises(ValueError, match="softmax_focal_loss: logits must be finite"):
            torch.ops.rebalance.softmax_focal_loss(nan, torch.zeros(5, dtype=torch.long), 2.0,
                                                   None, "mean", -100, 0.0)
        with pytest.raises(ValueError, match="sigmoid_focal_loss: logits must be finite"):
            torch.ops.rebalance.sigmoid_focal_loss(nan, torch.zeros(5, 4), 0.25, 2.0, None, "sum")
        with pytest.raises(ValueError, match=r"sigmoid_focal_loss: targets must be in \[0, 1\]"):
            torch.ops.rebalance.sigmoid_focal_loss(x, torch.full((5, 4), 2.0), 0.25, 2.0, None,
                                                   "sum")
        with pytest.raises(ValueError, match="class_weight must be non-negative"):
            torch.ops.rebalance.sigmoid_focal_loss(x, torch.zeros(5, 4), 0.25, 2.0,
                                                   -torch.ones(4), "sum")
        with pytest.raises(IndexError, match=r"confusion_matrix: target must be in \[0, 4\)"):
            torch.ops.rebalance.confusion_matrix(x, torch.tensor([0, 1, 9, 2, 3]), 4, -100)


def _has_cuda_kernels():
    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(
            "rebalance::_sigmoid_focal_loss_forward", "CUDA")
    except (AttributeError, RuntimeError):
        return False


needs_cuda = pytest.mark.skipif(
    not (torch.cuda.is_available() and _has_cuda_kernels()),
    reason="needs a CUDA device and librebalance.so built with its CUDA kernels")


@needs_cuda
def test_cuda_training_step_syncs_only_with_checks_on():
    steps = focal_steps("cuda")
    for name, step in steps:
        step()  # warm-up: allocator, lazy CUDA init
    try:
        torch.cuda.set_sync_debug_mode("error")
        with rebalance.checks(False):
            for name, step in steps:
                step()
            torch.ops.rebalance.confusion_matrix(torch.randn(9, 4, device="cuda"),
                                                 torch.zeros(9, dtype=torch.long, device="cuda"),
                                                 4, -100)
        with pytest.raises(RuntimeError, match="synchroniz"):
            steps[0][1]()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@needs_cuda
def test_cuda_values_and_gradients_do_not_depend_on_checks():
    for (name, step), (_, step_off) in zip(focal_steps("cuda"), focal_steps("cuda")):
        loss, grad = step()
        with rebalance.checks(False):
            loss_off, grad_off = step_off()
        assert torch.equal(loss, loss_off) and torch.equal(grad, grad_off), name


@needs_cuda
def test_cuda_unchecked_inputs_give_the_documented_results():
    x = torch.randn(6, 4, device="cuda")
    y = torch.tensor([0, 1, 9, 2, -5, 3], device="cuda")
    as_ignored = torch.tensor([0, 1, -100, 2, -100, 3], device="cuda")
    nan = x.clone()
    nan[0, 0] = float("nan")
    with rebalance.checks(False):
        for reduction in ("mean", "sum", "none"):
            got = torch.ops.rebalance.softmax_focal_loss(x, y, 2.0, None, reduction, -100, 0.1)
            want = torch.ops.rebalance.softmax_focal_loss(x, as_ignored, 2.0, None, reduction,
                                                          -100, 0.1)
            torch.testing.assert_close(got, want, rtol=0, atol=0)
        assert torch.isnan(torch.ops.rebalance.sigmoid_focal_loss(
            nan, torch.zeros_like(x), 0.25, 2.0, None, "mean")).item()
        cm = torch.ops.rebalance.confusion_matrix(x, y, 4, -100)
        assert cm.sum().item() == 4  # the pairs with targets 9 and -5 are not counted
    with pytest.raises(IndexError, match="got 9 at flat position 2"):
        torch.ops.rebalance.softmax_focal_loss(x, y, 2.0, None, "mean", -100, 0.1)


@needs_cuda
@pytest.mark.parametrize("loss_name", ["sigmoid", "softmax"])
@pytest.mark.parametrize("enabled", [False, True])  # on: the checks skip themselves in capture
def test_cuda_graph_capture_of_a_training_step(loss_name, enabled):
    torch.manual_seed(0)
    weight = torch.randn(16, 10, device="cuda", requires_grad=True)
    class_weight = torch.rand(10, device="cuda") + 0.5
    if loss_name == "sigmoid":
        criterion = rebalance.SigmoidFocalLoss(class_weight=class_weight)
        make_target = lambda: (torch.rand(256, 10, device="cuda") > 0.8).float()  # noqa: E731
    else:
        criterion = rebalance.SoftmaxFocalLoss(class_weight=class_weight, label_smoothing=0.1)
        make_target = lambda: torch.randint(0, 10, (256,), device="cuda")  # noqa: E731
    static_x = torch.randn(256, 16, device="cuda")
    static_y = make_target()

    def step():
        loss = criterion(static_x @ weight, static_y)
        loss.backward()
        return loss

    with rebalance.checks(enabled):
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                weight.grad = None
                step()
        torch.cuda.current_stream().wait_stream(side)
        weight.grad = None
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_loss = step()
        for _ in range(2):
            static_x.copy_(torch.randn(256, 16, device="cuda"))
            static_y.copy_(make_target())
            graph.replay()
            z = (static_x @ weight).detach().requires_grad_(True)
            eager = criterion(z, static_y)
            eager.backward()
            torch.testing.assert_close(static_loss, eager.detach())
            torch.testing.assert_close(weight.grad, static_x.t() @ z.grad)
