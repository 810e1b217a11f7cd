"""rebalance: training on class-imbalanced data (LibTorch plugin).

Importing this package loads ``librebalance.so`` so that ``torch.ops.rebalance.*`` and
``torch.classes.rebalance.*`` exist, also inside ``torch.jit.script``. The library is looked
up, in order: ``$REBALANCE_LIBRARY`` (a file path), ``$REBALANCE_BUILD_DIR/librebalance.so``,
inside this package (``pip install .``), next to a CMake-installed package
(``<prefix>/lib/librebalance.so``), and the source tree's ``build/`` folder. A library built
against another torch release is refused with an ImportError that says so.
"""


import torch

from ._loader import find_library, load_library

_LIBRARY_PATH = find_library()
load_library(_LIBRARY_PATH)

from .losses import (LDAMLoss, SigmoidFocalLoss, SoftmaxFocalLoss, ldam_loss,  # noqa: E402
                     ldam_margins)

__all__ = ["LDAMLoss", "SigmoidFocalLoss", "SoftmaxFocalLoss", "ldam_loss", "ldam_margins",
           "library_path"]


def library_path() -> str:
    """Absolute path of the loaded librebalance.so."""
    return str(_LIBRARY_PATH)

from .input_checks import checks, checks_enabled, set_checks  # noqa: E402,F401
__all__ += ["checks", "checks_enabled", "set_checks"]

from . import resampling  # noqa: E402,F401
__all__ += ["resampling"]

from .metrics import ClassMetrics, all_reduce_metrics, confusion_matrix  # noqa: E402,F401
__all__ += ["ClassMetrics", "all_reduce_metrics", "confusion_matrix"]

from .sampling import AdaptiveSampler  # noqa: E402,F401
__all__ += ["AdaptiveSampler"]

from .weighting import (DynamicClassWeights, LogitAdjustedCrossEntropyLoss,  # noqa: E402,F401
                        class_weights, count_clusters_per_class, log_prior_from_counts,
                        logit_adjusted_cross_entropy, report_scores)
__all__ += ["DynamicClassWeights", "LogitAdjustedCrossEntropyLoss", "class_weights",
            "count_clusters_per_class", "log_prior_from_counts", "logit_adjusted_cross_entropy",
            "report_scores"]

from . import schedule  # noqa: E402,F401
from .schedule import PhaseScheduler, make_scheduler, preset_phases  # noqa: E402,F401
__all__ += ["schedule", "PhaseScheduler", "make_scheduler", "preset_phases"]
