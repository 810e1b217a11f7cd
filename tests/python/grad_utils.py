"""Value and gradient of a loss for the comparison tests."""

import torch


def value_and_grad(fn, x):
    """fn(x) (detached) and d sum(fn(x)) / dx, for a fresh leaf copy of x."""
    x = x.detach().clone().requires_grad_(True)
    out = fn(x)
    (grad,) = torch.autograd.grad(out.sum(), x)
    return out.detach(), grad
