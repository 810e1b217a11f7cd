"""The C++ warnings of calls whose binding has no Python warning handler (torch.ops calls,
torch.classes constructors: their TORCH_WARN reaches stderr only), re-raised as UserWarnings.
The checks and messages live once, in C++ (csrc/rebalance/warnings.h)."""
import warnings

import torch


def relaying_warnings(call, *args, **kwargs):
    """Runs ``call(*args, **kwargs)`` and re-raises, as ``UserWarning``s at the caller's caller,
    the C++ warnings it raised."""
    torch.ops.rebalance.take_warnings()
    result = call(*args, **kwargs)
    for message in torch.ops.rebalance.take_warnings():
        warnings.warn(message, stacklevel=3)
    return result
