"""RebalanceCallback + AdaptiveSampler under Trainer(strategy="ddp", devices=2,
accelerator="cpu") (gloo, run as a subprocess: Lightning's DDP launcher re-runs the script):
the ranks trained on disjoint shards of one plan each epoch, and took identical decisions from
the all-reduced validation report."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

from torchvision_compat import import_torchvision  # noqa: E402

import_torchvision()  # lightning imports torchmetrics, which imports torchvision
pytest.importorskip("lightning")
from distributed_support import free_port  # noqa: E402
from lightning_support import C, data  # noqa: E402

HERE = Path(__file__).resolve().parent


def test_ddp_ranks_see_disjoint_shards_of_one_plan(tmp_path):
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    done = subprocess.run([sys.executable, str(HERE / "lightning_ddp_job.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["world"] for r in ranks] == [2, 2] and [r["rank"] for r in ranks] == [0, 1]
    for key in ("epoch_log", "scheduler", "multipliers"):
        assert ranks[0][key] == ranks[1][key], key
    assert [e["policy"] for e in ranks[0]["epoch_log"]] == ["instance"] * 2 + ["dynamic"] * 2
    _, y, _ = data()
    for epoch, log in enumerate(ranks[0]["epoch_log"]):
        shards = [r["seen"][str(epoch)] for r in ranks]
        assert len(shards[0]) == len(shards[1])
        seen = Counter(shards[0]) + Counter(shards[1])
        draws = torch.bincount(y[list(seen.elements())], minlength=C).tolist()
        plan_size = sum(log["draws"])
        # Together the shards are the plan, plus one wrapped-around row when its size is odd.
        padding = len(shards[0]) * 2 - plan_size
        assert padding in (0, 1)
        extra = [a - b for a, b in zip(draws, log["draws"])]
        assert min(extra) == 0 and sum(extra) == padding
        if epoch < 2:  # instance sampling: the plan is a permutation, the shards disjoint
            assert not set(shards[0]) & set(shards[1])
