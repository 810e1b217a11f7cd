"""Imports torchvision for its pure-Python reference ops on a CPU-only torch.

torchvision 0.28.0 is the release built for torch 2.13, but PyPI's wheel links its compiled
extension against libtorch_cuda, which the CPU torch wheel lacks; its package import then fails
while registering fake kernels for operators that never loaded ("operator torchvision::nms does
not exist"). The ops we compare against (``torchvision.ops.sigmoid_focal_loss``) are plain
PyTorch, so where the extension cannot load the fake-kernel module is skipped and everything
else imports as usual.
"""

import importlib
import sys
import types


def import_torchvision():
    """Returns the torchvision module, importable beside a CPU-only torch."""
    try:
        return importlib.import_module("torchvision")
    except RuntimeError as error:
        if "does not exist" not in str(error):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType(
        "torchvision._meta_registrations")
    return importlib.import_module("torchvision")
