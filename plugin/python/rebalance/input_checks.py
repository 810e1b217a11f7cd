"""The switch of the operators' data-dependent input checks (``rebalance/ops/checks.h``).

Checks on (the default): NaN/inf logits, targets out of range, negative or non-finite class
weights and out-of-range confusion-matrix pairs raise ValueError/IndexError. On the CPU they
are part of the kernels' pass and always run. On CUDA each costs the host a wait for the device
(one small device-to-host copy per call, plus two for a class weight), so a training loop that
should never sync, or one captured into a CUDA graph, turns them off::

    rebalance.set_checks(False)          # for the rest of the process
    with rebalance.checks(False):        # for a block
        loss = criterion(model(x), y)

With checks off, CUDA losses give NaN for NaN logits, skip rows whose target is out of range
and use negative class weights as given; confusion_matrix skips out-of-range pairs. Checks are
also skipped while the current CUDA stream is being captured.
"""

import contextlib
from typing import Iterator

import torch


def checks_enabled() -> bool:
    """Whether the data-dependent input checks run (process-wide; default True)."""
    return torch.ops.rebalance.checks_enabled()


def set_checks(enabled: bool) -> bool:
    """Turns the data-dependent input checks on or off; returns the previous setting."""
    return torch.ops.rebalance.set_checks_enabled(bool(enabled))


@contextlib.contextmanager
def checks(enabled: bool) -> Iterator[None]:
    """Context manager: the checks are ``enabled`` inside the block, restored after it."""
    previous = set_checks(enabled)
    try:
        yield
    finally:
        set_checks(previous)
