"""torch.nn.Module wrappers of the fused losses; torch.jit.script accepts them."""

from typing import Optional

import torch


class SigmoidFocalLoss(torch.nn.Module):
    """Sigmoid (one-vs-rest) focal loss: ``torch.ops.rebalance.sigmoid_focal_loss``.

    Equals ``torchvision.ops.sigmoid_focal_loss`` without class weights. ``class_weight``
    (C,) multiplies each element by the weight of its last-dimension index; it is a buffer.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0,
                 class_weight: Optional[torch.Tensor] = None, reduction: str = "mean"):
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
        self.register_buffer("class_weight", class_weight)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.sigmoid_focal_loss(
            logits, targets, self.alpha, self.gamma, self.class_weight, self.reduction)


class SoftmaxFocalLoss(torch.nn.Module):
    """Softmax focal loss: ``torch.ops.rebalance.softmax_focal_loss``.

    A drop-in for ``torch.nn.CrossEntropyLoss`` (equal to it at gamma=0) with the same
    ``weight``/``ignore_index``/``label_smoothing``/``reduction`` semantics.
    """

    def __init__(self, gamma: float = 2.0, class_weight: Optional[torch.Tensor] = None,
                 reduction: str = "mean", ignore_index: int = -100,
                 label_smoothing: float = 0.0):
        super().__init__()
        self.gamma = gamma
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.register_buffer("class_weight", class_weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.softmax_focal_loss(
            logits, target, self.gamma, self.class_weight, self.reduction,
            self.ignore_index, self.label_smoothing)


def ldam_margins(counts: torch.Tensor, max_margin: float = 0.5) -> torch.Tensor:
    """LDAM's per-class margins ``max_margin * N_c^(-1/4) / max_c N_c^(-1/4)`` (Cao et al. 2019):
    ``torch.ops.rebalance.ldam_margins``; a class with count 0 gets ``max_margin``."""
    return torch.ops.rebalance.ldam_margins(torch.as_tensor(counts), max_margin)


def ldam_loss(logits: torch.Tensor, target: torch.Tensor, margins: torch.Tensor,
              scale: float = 30.0, class_weight: Optional[torch.Tensor] = None,
              reduction: str = "mean", ignore_index: int = -100) -> torch.Tensor:
    """LDAM loss (Cao et al. 2019): ``cross_entropy(scale * (logits - margins[y] * onehot(y)), y,
    weight=class_weight, reduction=..., ignore_index=...)``, through the fused softmax focal
    loss: ``torch.ops.rebalance.ldam_loss``."""
    return torch.ops.rebalance.ldam_loss(logits, target, margins, scale, class_weight,
                                         reduction, ignore_index)


class LDAMLoss(torch.nn.Module):
    """Module form of ``ldam_loss``; ``margins`` (e.g. ``ldam_margins(counts)``) and
    ``class_weight`` are buffers (so a scripted module carries them). For deferred re-weighting
    (LDAM-DRW) set ``class_weight`` when the re-weighting phase starts."""

    def __init__(self, margins: torch.Tensor, scale: float = 30.0,
                 class_weight: Optional[torch.Tensor] = None, reduction: str = "mean",
                 ignore_index: int = -100):
        super().__init__()
        self.scale = scale
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.register_buffer("margins", margins)
        self.register_buffer("class_weight", class_weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.ldam_loss(logits, target, self.margins, self.scale,
                                             self.class_weight, self.reduction, self.ignore_index)
