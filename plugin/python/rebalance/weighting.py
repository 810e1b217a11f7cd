"""Class weighting: static weights from class statistics, dynamic per-epoch weights and the
logit-adjusted (balanced-softmax) cross-entropy.

``DynamicClassWeights`` wraps ``torch.classes.rebalance.DynamicClassWeights`` (keyword options
from C++, TorchScript, pickle and ``copy.deepcopy`` work on it).
"""

from typing import Dict, Optional

import torch

from ._bound import ScriptBacked, StateAliases
from ._warnings import relaying_warnings


def report_scores(report: Dict[str, torch.Tensor], score: str = "recall") -> torch.Tensor:
    """Per-class scores (C,) float64 of a ``ClassMetrics.report()`` dict, for
    ``DynamicClassWeights.update`` or ``AdaptiveSampler.update``: the column "recall", "f1",
    "precision" or "accuracy"; "recall_lcb", the Wilson lower confidence bound (z = 1) of each
    class's recall given its support (0 for a class without support); or "log_prediction_ratio",
    log((predicted + 1/2) / (support + 1/2)) (0 for a class without support): below 0 for a class
    predicted less often than it occurs, for the sampler's controller (not a score in [0, 1],
    so not for DynamicClassWeights)."""
    return torch.classes.rebalance.DynamicClassWeights.report_scores(report, score).double()


class DynamicClassWeights(StateAliases, ScriptBacked):
    """Per-class loss weights that follow per-class evaluation at each epoch end (Sinha et al.
    2020): with base weights b and scores s in [0, 1], target_c = b_c (1 - s_c + eps)^power
    scaled to sum C, smoothed by momentum and clipped to [min_weight, max_weight]; see
    rebalance/weighting/dynamic_class_weights.h.

    Args:
        base_weights: (C,) non-negative, not all 0 (e.g. ``class_weights(counts)`` or ones).
    """

    _script_class = "DynamicClassWeights"
    _fixed = ["base_weights"]

    def __init__(self, base_weights: torch.Tensor, *args, **options):
        super().__init__(torch.as_tensor(base_weights), *args, **options)

    @torch.jit.export
    def update(self, scores: torch.Tensor) -> torch.Tensor:
        """Ends an epoch with per-class scores (C,) in [0, 1]; returns the weights (float32)."""
        return self._impl.update(scores)

    @torch.jit.export
    def update_from_report(self, report: Dict[str, torch.Tensor],
                           score: str = "recall") -> torch.Tensor:
        """update() with a column ("recall", "f1", "precision", "accuracy") of a
        ``ClassMetrics.report()`` dict."""
        return self._impl.update_from_report(report, score)

    @torch.jit.export
    def accumulate_loss(self, loss: torch.Tensor, target: torch.Tensor,
                        ignore_index: int = -100) -> None:
        """Adds a batch's unreduced per-element losses to the running per-class loss."""
        self._impl.accumulate_loss(loss, target, ignore_index)

    @torch.jit.export
    def update_from_running_loss(self) -> torch.Tensor:
        """update() with s_c = exp(-mean running loss of class c); clears the running loss."""
        return self._impl.update_from_running_loss()

    @torch.jit.export
    def weights(self) -> torch.Tensor:
        """Current weights, (C,) float32, summing to C."""
        return self._impl.weights()

    @torch.jit.export
    def weights_double(self) -> torch.Tensor:
        """Current weights in float64 (the exact state)."""
        return self._impl.weights_double()

    @torch.jit.export
    def base_weights(self) -> torch.Tensor:
        """Normalised base weights (C,) float64."""
        return self._impl.base_weights()

    @torch.jit.export
    def epoch(self) -> int:
        """Number of updates so far."""
        return self._impl.epoch()


def class_weights(counts: torch.Tensor, method: str = "inverse", power: float = 0.5,
                  beta: float = 0.999, cost_matrix: Optional[torch.Tensor] = None,
                  clusters_per_class: Optional[torch.Tensor] = None,
                  normalize: bool = True) -> torch.Tensor:
    """(C,) class weights from per-class counts, summing to C; see
    ``torch.ops.rebalance.class_weights`` for the methods. Classes with count 0 get weight 0
    and a ``UserWarning``."""
    return relaying_warnings(torch.ops.rebalance.class_weights, torch.as_tensor(counts), method,
                             power, beta, cost_matrix, clusters_per_class, normalize)


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
