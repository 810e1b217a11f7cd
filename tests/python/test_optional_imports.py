"""``import rebalance`` needs none of the integrations' packages; each integration module says
which package it needs when that package is missing."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEERS = ["lightning", "pytorch_lightning", "torchmetrics", "imblearn", "transformers", "sklearn"]

SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT / 'plugin' / 'python')!r})
for name in {PEERS!r}:
    sys.modules[name] = None  # importing it now raises ImportError
import rebalance
rebalance.ClassMetrics(3); rebalance.AdaptiveSampler([0, 1, 1], 2)
loaded = [m for m in {PEERS!r} if sys.modules.get(m) is not None]
assert not loaded, loaded
try:
    import rebalance.{{module}}
except ImportError as error:
    print(error)
"""


@pytest.mark.parametrize("module, package", [("lightning", "lightning"),
                                             ("torchmetrics", "torchmetrics"),
                                             ("imblearn", "imbalanced-learn")])
def test_rebalance_imports_without_the_integrations(module, package):
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"rebalance.{module} needs {package}" in done.stdout
