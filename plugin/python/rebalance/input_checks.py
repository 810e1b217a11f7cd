"""The switch of the operators' data-dependent input checks (``rebalance/ops/checks.h``).

Checks on (the default): NaN/inf logits, targets out of range, negative or non-finite class
weights and out-of-range confusion-matrix pairs raise ValueError/IndexError naming the op, the
expectation and the value. What each check costs:

* CPU: nothing measurable and no sync. The checks are part of the kernels' one pass over host
  memory (a compare per element folded into the loss loop), so they always run, whatever the
  switch says.
* CUDA: one small device-to-host copy of a status word per loss or confusion-matrix call (two
  more for a class weight), i.e. the host waits for the device once per call. A training loop
  that should never sync, or one captured into a CUDA graph, turns them off::

    rebalance.set_checks(False)          # for the rest of the process
    with rebalance.checks(False):        # for a block
        loss = criterion(model(x), y)

  With checks off, CUDA losses give NaN for NaN logits, skip rows whose target is out of range
  and use negative class weights as given; confusion_matrix skips out-of-range pairs. Checks
  are also skipped while the current CUDA stream is being captured (``torch.cuda.graphs``, and
  ``torch.compile(mode="reduce-overhead")``'s CUDA graphs).

Under ``torch.compile`` and ``torch.export`` the kernels read the switch when the compiled
program runs, not when it is traced: flipping it needs no recompilation, and a compiled step
keeps the eager behaviour (CPU: checks fused and free; CUDA: a status copy per call while on).
Flip it outside the compiled function (like torchmetrics' ``validate_args``, it is a setting,
not part of the graph). The fake kernels used for tracing check only metadata (dtypes, ranks,
shapes); the backward needs no host value (the "mean" normalizer stays a tensor).
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
