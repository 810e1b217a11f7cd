"""ldam_loss against a reference written here from torch ops: F.cross_entropy on the scaled,
margin-subtracted logits (Cao et al. 2019), in value and gradient; ldam_margins against the
paper's formula; the module in TorchScript; bad inputs."""
import pytest
import torch
import torch.nn.functional as F

import rebalance
from rebalance import LDAMLoss, ldam_loss, ldam_margins

C = 5
COUNTS = torch.tensor([900, 300, 60, 20, 5])


def reference(logits, target, margins, scale, weight=None, reduction="mean", ignore_index=-100):
    class_dim = 1 if logits.dim() > 1 else 0
    safe = torch.where(target == ignore_index, torch.zeros_like(target), target)
    onehot = F.one_hot(safe, C).to(logits.dtype).movedim(-1, class_dim)
    onehot = onehot * (target != ignore_index).unsqueeze(class_dim).to(logits.dtype)
    shape = [1] * logits.dim()
    shape[class_dim] = C
    adjusted = scale * (logits - onehot * margins.to(logits.dtype).view(shape))
    return F.cross_entropy(adjusted, target, weight=weight, reduction=reduction,
                           ignore_index=ignore_index)


def data(n=40, dtype=torch.float64, seed=0, ignore_every=7):
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, C, generator=g, dtype=torch.float64) * 2).to(dtype)
    target = torch.randint(0, C, (n,), generator=g)
    if ignore_every:
        target[::ignore_every] = -100
    return logits.requires_grad_(), target


def test_margins_follow_the_paper():
    m = ldam_margins(COUNTS, 0.5)
    raw = COUNTS.double() ** -0.25
    torch.testing.assert_close(m, (0.5 * raw / raw.max()).to(m.dtype))
    assert m.argmax() == C - 1 and float(m.max()) == pytest.approx(0.5)
    assert m.dtype == torch.get_default_dtype()
    assert ldam_margins(COUNTS.double(), 1.0).dtype == torch.float64
    # A class without samples gets the largest margin.
    torch.testing.assert_close(ldam_margins(torch.tensor([16, 1, 0]), 0.5),
                               torch.tensor([0.25, 0.5, 0.5]))
    assert (ldam_margins(COUNTS, 0.0) == 0).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scale", [1.0, 7.5])
def test_value_and_gradient(dtype, reduction, weighted, scale):
    logits, target = data(dtype=dtype)
    margins = ldam_margins(COUNTS, 0.5).to(dtype)
    g = torch.Generator().manual_seed(1)
    weight = (torch.rand(C, generator=g, dtype=torch.float64) + 0.5).to(dtype) if weighted else None
    ours = ldam_loss(logits, target, margins, scale, weight, reduction)
    ref = reference(logits, target, margins, scale, weight, reduction)
    tol = {} if dtype == torch.float64 else {"rtol": 2e-5, "atol": 2e-5}
    torch.testing.assert_close(ours, ref, **tol)
    grad_out = torch.rand_like(ours)
    (g1,) = torch.autograd.grad(ours, logits, grad_out)
    (g2,) = torch.autograd.grad(ref, logits, grad_out)
    torch.testing.assert_close(g1, g2, **tol)


def test_margin_changes_only_the_target_logit():
    # Raising one class's margin raises the loss of rows of that class only.
    logits, target = data(ignore_every=0)
    m0 = torch.zeros(C, dtype=torch.float64)
    m1 = m0.clone()
    m1[2] = 1.0
    base = ldam_loss(logits, target, m0, 1.0, reduction="none")
    raised = ldam_loss(logits, target, m1, 1.0, reduction="none")
    assert (raised[target == 2] > base[target == 2]).all()
    torch.testing.assert_close(raised[target != 2], base[target != 2])
    # Without margins and at scale 1 it is cross-entropy.
    torch.testing.assert_close(base, F.cross_entropy(logits, target, reduction="none"))


def test_spatial_unbatched_gradcheck_and_ignore_index():
    g = torch.Generator().manual_seed(2)
    margins = ldam_margins(COUNTS.double())
    logits = torch.randn(3, C, 4, dtype=torch.float64, generator=g, requires_grad=True)
    target = torch.randint(0, C, (3, 4), generator=g)
    target[0, 1] = 3
    target[1, 2] = 3
    torch.testing.assert_close(ldam_loss(logits, target, margins, 2.0, ignore_index=3),
                               reference(logits, target, margins, 2.0, ignore_index=3))
    assert torch.autograd.gradcheck(lambda x: ldam_loss(x, target, margins, 2.0), (logits,))
    one = torch.randn(C, dtype=torch.float64, generator=g)
    torch.testing.assert_close(ldam_loss(one, torch.tensor(4), margins, 3.0),
                               reference(one, torch.tensor(4), margins, 3.0))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_empty_batch_and_all_ignored(reduction):
    margins = ldam_margins(COUNTS)
    empty = torch.zeros(0, C, requires_grad=True)
    out = ldam_loss(empty, torch.zeros(0, dtype=torch.long), margins, 5.0, reduction=reduction)
    ref = reference(empty, torch.zeros(0, dtype=torch.long), margins, 5.0, reduction=reduction)
    if reduction == "mean":  # cross_entropy gives NaN; the fused loss divides by max(sum w, 1)
        assert float(out.detach()) == 0.0
    else:
        torch.testing.assert_close(out, ref)
    out.sum().backward()
    assert empty.grad.shape == (0, C)
    logits = torch.randn(4, C, requires_grad=True)
    ignored = ldam_loss(logits, torch.full((4,), -100), margins, 5.0, reduction=reduction)
    assert (ignored == 0).all()


def test_module_scripts_and_carries_its_buffers():
    logits, target = data()
    margins = ldam_margins(COUNTS.double())
    weight = torch.linspace(0.5, 2.0, C, dtype=torch.float64)
    module = torch.jit.script(LDAMLoss(margins, scale=4.0, class_weight=weight))
    torch.testing.assert_close(module(logits, target),
                               reference(logits, target, margins, 4.0, weight))
    assert set(dict(module.named_buffers())) == {"margins", "class_weight"}
    assert rebalance.LDAMLoss is LDAMLoss


def test_errors():
    logits, target = torch.randn(4, C), torch.randint(0, C, (4,))
    margins = ldam_margins(COUNTS)
    with pytest.raises(ValueError, match="ldam_loss: margins must be 1-D with 5 entries"):
        ldam_loss(logits, target, margins[:4])
    with pytest.raises(ValueError, match="ldam_loss: margins must be non-negative"):
        ldam_loss(logits, target, -margins)
    with pytest.raises(ValueError, match="ldam_loss: margins must be finite"):
        ldam_loss(logits, target, torch.full((C,), float("nan")))
    with pytest.raises(TypeError, match="ldam_loss: margins must be a floating-point tensor"):
        ldam_loss(logits, target, torch.zeros(C, dtype=torch.long))
    for scale in (float("inf"), float("nan"), 0.0, -1.0):
        with pytest.raises(ValueError, match="ldam_loss: scale must be finite and > 0"):
            ldam_loss(logits, target, margins, scale)
    with pytest.raises(IndexError, match="ldam_loss: target must be in"):
        ldam_loss(logits, torch.tensor([0, 1, 5, 2]), margins)
    with pytest.raises(ValueError, match="ldam_loss: logits must be finite"):
        ldam_loss(torch.full((4, C), float("nan")), target, margins)
    with pytest.raises(TypeError, match="ldam_loss: target must be int64"):
        ldam_loss(logits, target.int(), margins)
    with pytest.raises(ValueError, match="ldam_loss: target must have shape"):
        ldam_loss(logits, target[:, None], margins)
    with pytest.raises(ValueError, match="ldam_loss: class_weight must have shape"):
        ldam_loss(logits, target, margins, class_weight=torch.ones(C + 1))
    with pytest.raises(ValueError, match="ldam_loss: reduction"):
        ldam_loss(logits, target, margins, reduction="avg")
    with pytest.raises(ValueError, match="ldam_margins: counts must be non-negative"):
        ldam_margins(torch.tensor([3, -1]))
    with pytest.raises(ValueError, match="ldam_margins: counts must not all be 0"):
        ldam_margins(torch.tensor([0, 0]))
    with pytest.raises(ValueError, match="ldam_margins: max_margin must be finite and >= 0"):
        ldam_margins(COUNTS, -0.5)
