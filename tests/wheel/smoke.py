"""Smoke test of an installed rebalance wheel, run from outside the source tree: a loss
forward and backward, a scripted module, a sampler epoch and one resampling call."""

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import rebalance

library = Path(rebalance.library_path())
assert "site-packages" in library.parts, f"loaded {library}, not the installed wheel's library"
assert not any(p.startswith("REBALANCE_") for p in os.environ), "the environment points at a build"

torch.manual_seed(0)
logits = torch.randn(64, 5, dtype=torch.float64, requires_grad=True)
target = torch.randint(0, 5, (64,))
loss = rebalance.SoftmaxFocalLoss(gamma=0.0)(logits, target)
loss.backward()
reference = F.cross_entropy(logits.detach().requires_grad_(), target)
torch.testing.assert_close(loss.detach(), reference.detach())
assert torch.isfinite(logits.grad).all()

scripted = torch.jit.script(rebalance.SigmoidFocalLoss())
value = scripted(torch.randn(8, 3), torch.rand(8, 3))
assert value.ndim == 0 and torch.isfinite(value)

labels = torch.tensor([0] * 90 + [1] * 10)
sampler = rebalance.AdaptiveSampler(labels, 2, "class_balanced", seed=0)
sampler.set_epoch(0)
drawn = labels[torch.tensor(list(iter(sampler)))]
assert len(drawn) == 100 and abs(int((drawn == 1).sum()) - 50) <= 1, drawn.bincount()

x = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
kept = rebalance.resampling.tomek_links(x, labels.numpy())
assert 0 < len(kept) <= 100

print(f"wheel smoke test passed: torch {torch.__version__}, {library}")
