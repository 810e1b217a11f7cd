import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugin" / "python"))
sys.path.insert(0, str(ROOT / "scripts"))  # torchvision_compat, the recipes' shared code
os.environ.setdefault("REBALANCE_BUILD_DIR", str(ROOT / "build"))

import rebalance  # noqa: E402,F401  (loads librebalance.so for every test)
