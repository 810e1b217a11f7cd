"""Class weighting: static weights from class statistics, dynamic per-epoch weights and the
logit-adjusted (balanced-softmax) cross-entropy.

``DynamicClassWeights`` is ``torch.classes.rebalance.DynamicClassWeights`` itself (TorchScript,
pickle and ``copy.deepcopy`` work on it).
"""

import warnings
from typing import Optional

import torch

DynamicClassWeights = torch.classes.rebalance.DynamicClassWeights


def class_weights(counts: torch.Tensor, method: str = "inverse", power: float = 0.5,
                  beta: float = 0.999, cost_matrix: Optional[torch.Tensor] = None,
                  clusters_per_class: Optional[torch.Tensor] = None,
                  normalize: bool = True) -> torch.Tensor:
    """(C,) class weights from per-class counts, summing to C; see
    ``torch.ops.rebalance.class_weights`` for the methods. Classes with count 0 get weight 0
    and a Python ``UserWarning``."""
    counts = torch.as_tensor(counts)
    if counts.dim() == 1 and bool((counts == 0).any()) and bool((counts > 0).any()):
        zero, many = torch.nonzero(counts == 0).flatten(), int((counts == 0).sum())
        shown = str(zero[:20].tolist())[:-1] + (f", ... ({many} in all)]" if many > 20 else "]")
        warnings.warn(f"class_weights: classes {shown} have count 0; their weight is 0")
    return torch.ops.rebalance.class_weights(counts, method, power, beta, cost_matrix,
                                             clusters_per_class, normalize)


def count_clusters_per_class(features: torch.Tensor, labels: torch.Tensor, num_classes: int,
                             max_clusters: int = 8, min_improvement: float = 0.5,
                             seed: int = 0) -> torch.Tensor:
    """K_c per class (int64 (C,), 0 for absent classes) by k-means and an elbow rule: k grows
    while the inertia drops by at least ``min_improvement`` of the previous one. Feed it to
    ``class_weights(counts, "cluster", clusters_per_class=K)``."""
    return torch.ops.rebalance.count_clusters_per_class(features, labels, num_classes,
                                                        max_clusters, min_improvement, seed)


def log_prior_from_counts(counts: torch.Tensor) -> torch.Tensor:
    """log(N_c / sum N) (zero counts give log(1e-12 / sum N))."""
    return torch.ops.rebalance.log_prior_from_counts(torch.as_tensor(counts))


def logit_adjusted_cross_entropy(logits: torch.Tensor, target: torch.Tensor,
                                 log_prior: torch.Tensor, tau: float = 1.0,
                                 class_weight: Optional[torch.Tensor] = None,
                                 reduction: str = "mean",
                                 ignore_index: int = -100) -> torch.Tensor:
    """cross_entropy(logits + tau * log_prior, target, ...) (Menon et al. 2021; tau = 1 is the
    balanced softmax of Ren et al. 2020), through the fused softmax focal loss."""
    return torch.ops.rebalance.logit_adjusted_cross_entropy(
        logits, target, log_prior, tau, class_weight, reduction, ignore_index)


class LogitAdjustedCrossEntropyLoss(torch.nn.Module):
    """Module form of ``logit_adjusted_cross_entropy``; ``log_prior`` and ``class_weight`` are
    buffers (so a scripted module carries them)."""

    def __init__(self, log_prior: torch.Tensor, tau: float = 1.0,
                 class_weight: Optional[torch.Tensor] = None, reduction: str = "mean",
                 ignore_index: int = -100):
        super().__init__()
        self.tau = tau
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.register_buffer("log_prior", log_prior)
        self.register_buffer("class_weight", class_weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.logit_adjusted_cross_entropy(
            logits, target, self.log_prior, self.tau, self.class_weight, self.reduction,
            self.ignore_index)
