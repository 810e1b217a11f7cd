"""``ClassReport``: rebalance's per-class report as a ``torchmetrics.Metric``.

The state is one C × C int64 confusion matrix (rows = true class) on the metric's device,
filled by ``torch.ops.rebalance.confusion_matrix`` and summed across ranks by torchmetrics
(``dist_reduce_fx="sum"``); ``compute()`` returns the report of ``ClassMetrics`` (per-class
precision / recall / F1 / support, macro-F1, balanced accuracy, ...). Needs torchmetrics
(``import rebalance`` does not)::

    report = ClassReport(num_classes=10)          # in a LightningModule: self.val_report
    report.update(logits, target)                 # per batch
    report.compute()["f1"]                         # per-class F1, synced across ranks
"""

try:
    import torchmetrics
except ImportError as error:  # pragma: no cover - exercised by the optional-import test
    raise ImportError("rebalance.torchmetrics needs torchmetrics (pip install torchmetrics)") \
        from error

import torch

from .metrics import ClassMetrics


class ClassReport(torchmetrics.Metric):
    """Per-class evaluation (``rebalance.ClassMetrics``) with torchmetrics' state handling.

    Args:
        num_classes: C >= 1.
        ignore_index: targets equal to it are skipped (default -100).
        kwargs: ``torchmetrics.Metric`` options (``sync_on_compute``, ``process_group``, ...).

    ``update(input, target)`` takes logits (N, C, ...) (argmax over dim 1) or int64
    predictions, and int64 targets; ``compute()`` returns the dict of ``ClassMetrics.report()``
    (float64 per-class tensors and 0-dim summaries, on the CPU).
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, num_classes: int, ignore_index: int = -100, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"ClassReport: num_classes must be an int >= 1, got {num_classes!r}")
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.add_state("confmat", default=torch.zeros(num_classes, num_classes, dtype=torch.int64),
                       dist_reduce_fx="sum")

    def update(self, input: torch.Tensor, target: torch.Tensor) -> None:
        """Adds a batch's confusion matrix (computed on the inputs' device)."""
        self.confmat += torch.ops.rebalance.confusion_matrix(
            input.detach(), target, self.num_classes, self.ignore_index)

    def compute(self):
        """The per-class report of the (synced) confusion matrix."""
        metrics = ClassMetrics(self.num_classes, self.ignore_index)
        metrics.set_state(self.confmat.cpu())
        return metrics.report()
