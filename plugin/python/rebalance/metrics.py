"""Per-class evaluation: ``torch.ops.rebalance.confusion_matrix`` and ``ClassMetrics``.

``ClassMetrics`` is ``torch.classes.rebalance.ClassMetrics`` itself, so it works in eager code,
inside ``torch.jit.script`` and with ``pickle``/``torch.save``/``copy.deepcopy``.
"""

from typing import Optional

import torch

ClassMetrics = torch.classes.rebalance.ClassMetrics


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
