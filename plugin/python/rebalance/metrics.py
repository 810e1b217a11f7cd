"""Per-class evaluation: ``torch.ops.rebalance.confusion_matrix`` and ``ClassMetrics``.

``ClassMetrics`` wraps ``torch.classes.rebalance.ClassMetrics``: it works in eager code, as a
module attribute inside ``torch.jit.script`` and with ``pickle``/``torch.save``/``copy.deepcopy``.
"""

from typing import Dict, Optional

import torch

from ._bound import ScriptBacked


class ClassMetrics(ScriptBacked):
    """Accumulates a C x C confusion matrix (rows = true class) over an epoch's batches and
    reports per-class precision, recall, F1, support, macro-F1 and balanced accuracy; see
    rebalance/metrics/class_metrics.h. The state lives on the device of the inputs given to
    :meth:`update`; ``all_reduce_metrics`` sums it over ranks.

    Args:
        num_classes: C >= 1.
    """

    _script_class = "ClassMetrics"
    _fixed = ["num_classes"]

    def __init__(self, num_classes: int, *args, **options):
        super().__init__(num_classes, *args, **options)

    @torch.jit.export
    def update(self, input: torch.Tensor, target: torch.Tensor) -> None:
        """Adds a batch: logits (N, C, ...) or int64 predictions, and int64 targets."""
        self._impl.update(input, target)

    @torch.jit.export
    def reset(self) -> None:
        """Starts a new epoch (the F1 of the cleared state is the next report's reference)."""
        self._impl.reset()

    @torch.jit.export
    def report(self) -> Dict[str, torch.Tensor]:
        """The per-class report of the current state as a dict of tensors."""
        return self._impl.report()

    @torch.jit.export
    def table(self) -> str:
        """The report as a text table."""
        return self._impl.table()

    @torch.jit.export
    def state(self) -> torch.Tensor:
        """The live C x C int64 counts (in-place all_reduce on it updates this object)."""
        return self._impl.state()

    @torch.jit.export
    def set_state(self, confusion: torch.Tensor) -> None:
        """Replaces the counts with a copy of ``confusion`` (C x C, non-negative integers)."""
        self._impl.set_state(confusion)

    def merge(self, other: "ClassMetrics") -> None:
        """Adds another object's counts (same num_classes)."""
        self._impl.merge(other._impl if isinstance(other, ClassMetrics) else other)

    @torch.jit.export
    def merge_state(self, confusion: torch.Tensor) -> None:
        """Adds a C x C count matrix (e.g. another rank's state)."""
        self._impl.merge_state(confusion)

    @torch.jit.export
    def num_classes(self) -> int:
        """C."""
        return self._impl.num_classes()

    @torch.jit.export
    def ignore_index(self) -> int:
        """The target value update() skips."""
        return self._impl.ignore_index()

    @torch.jit.export
    def previous_f1(self) -> torch.Tensor:
        """F1 of the previous epoch (C,), or empty when there is none."""
        return self._impl.previous_f1()


def confusion_matrix(input: torch.Tensor, target: torch.Tensor, num_classes: int,
                     ignore_index: int = -100) -> torch.Tensor:
    """C x C int64 confusion matrix (rows = true class) of logits (argmax over dim 1) or int64
    predictions against int64 targets; see ``torch.ops.rebalance.confusion_matrix``."""
    return torch.ops.rebalance.confusion_matrix(input, target, num_classes, ignore_index)


def all_reduce_metrics(metrics, group: Optional[object] = None):
    """Sums the confusion-matrix state of ``metrics`` over the ranks of ``group`` in place
    (``torch.distributed.all_reduce`` on ``metrics.state()``, which is the live tensor) and
    returns ``metrics``. The state lives on the device of the inputs given to ``update`` (the CPU
    before the first one): gloo for CPU inputs, NCCL for CUDA inputs."""
    import torch.distributed as dist

    dist.all_reduce(metrics.state(), op=dist.ReduceOp.SUM, group=group)
    return metrics
