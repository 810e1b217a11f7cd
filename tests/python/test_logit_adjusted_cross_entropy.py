"""logit_adjusted_cross_entropy against F.cross_entropy(logits + tau * log_prior)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rebalance.weighting import (LogitAdjustedCrossEntropyLoss, log_prior_from_counts,
                                 logit_adjusted_cross_entropy)

COUNTS = torch.tensor([900, 300, 60, 20, 5])
C = 5


def reference(logits, target, log_prior, tau, weight=None, reduction="mean", ignore_index=-100):
    shape = [1] * logits.dim()
    shape[1 if logits.dim() > 1 else 0] = C
    return F.cross_entropy(logits + tau * log_prior.view(shape), target, weight=weight,
                           reduction=reduction, ignore_index=ignore_index)


def test_log_prior_from_counts():
    lp = log_prior_from_counts(COUNTS)
    np.testing.assert_allclose(lp.numpy(), np.log(COUNTS.numpy() / COUNTS.sum().item()), rtol=1e-6)
    assert torch.isfinite(log_prior_from_counts(torch.tensor([3, 0]))).all()


@pytest.mark.parametrize("tau", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_value_and_gradient(tau, reduction, weighted):
    g = torch.Generator().manual_seed(0)
    log_prior = log_prior_from_counts(COUNTS).double()
    logits = torch.randn(40, C, dtype=torch.float64, generator=g, requires_grad=True)
    target = torch.randint(0, C, (40,), generator=g)
    target[::7] = -100
    weight = torch.rand(C, dtype=torch.float64, generator=g) + 0.5 if weighted else None
    ours = logit_adjusted_cross_entropy(logits, target, log_prior, tau, weight, reduction)
    ref = reference(logits, target, log_prior, tau, weight, reduction)
    torch.testing.assert_close(ours, ref)
    grad_out = torch.rand_like(ours)
    (g1,) = torch.autograd.grad(ours, logits, grad_out)
    (g2,) = torch.autograd.grad(ref, logits, grad_out)
    torch.testing.assert_close(g1, g2)


def test_trailing_dims_gradcheck_and_module():
    g = torch.Generator().manual_seed(1)
    log_prior = log_prior_from_counts(COUNTS.double())
    logits = torch.randn(3, C, 4, dtype=torch.float64, generator=g, requires_grad=True)
    target = torch.randint(0, C, (3, 4), generator=g)
    torch.testing.assert_close(logit_adjusted_cross_entropy(logits, target, log_prior),
                               reference(logits, target, log_prior, 1.0))
    assert torch.autograd.gradcheck(
        lambda x: logit_adjusted_cross_entropy(x, target, log_prior, 0.7), (logits,))
    module = torch.jit.script(LogitAdjustedCrossEntropyLoss(log_prior, tau=0.7))
    torch.testing.assert_close(module(logits, target), reference(logits, target, log_prior, 0.7))


def test_errors():
    logits, target = torch.randn(4, C), torch.randint(0, C, (4,))
    with pytest.raises(ValueError, match="log_prior"):
        logit_adjusted_cross_entropy(logits, target, torch.zeros(C + 1))
    with pytest.raises(ValueError, match="finite"):
        logit_adjusted_cross_entropy(logits, target, torch.full((C,), float("-inf")))
    with pytest.raises(TypeError, match="log_prior"):
        logit_adjusted_cross_entropy(logits, target, torch.zeros(C, dtype=torch.long))
