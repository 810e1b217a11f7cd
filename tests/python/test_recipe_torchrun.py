"""scripts/train_fmnist_lt.py under torchrun --nproc_per_node 2 (gloo, CPU) at a tiny size: the
ranks' first-epoch shards are disjoint and together the single-process sampler's plan, and every
rank took the same scheduler / sampler decisions from the all-reduced validation report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import rebalance
from distributed_support import free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from fmnist_lt_common import (DATA_DIR, NUM_CLASSES, load_split,  # noqa: E402
                              long_tail_counts, long_tail_split)

pytestmark = pytest.mark.skipif(
    not (Path(DATA_DIR) / "train-images-idx3-ubyte.gz").exists(),
    reason=f"Fashion-MNIST is not installed in {DATA_DIR}")


def test_two_ranks_share_one_plan_and_take_identical_decisions(tmp_path):
    out = tmp_path / "run.json"
    torchrun = Path(sys.executable).with_name("torchrun")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "plugin" / "python"))
    done = subprocess.run(
        [str(torchrun), "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port",
         str(free_port()), str(ROOT / "scripts" / "train_fmnist_lt.py"), "--strategy",
         "recommended", "--per-class", "200", "--val-per-class", "20", "--epochs", "4",
         "--batch-size", "32", "--steps", "24", "--threads", "1", "--seed", "1", "--json",
         str(out)], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = json.loads(out.read_text())["ranks"]
    assert ranks["world_size"] == 2
    decisions = ranks["decisions"]
    assert len(decisions[0]) >= 2 and decisions[0] == decisions[1]
    assert {d["phase"] for d in decisions[0]} == {0, 1}  # the phase switch happened on both

    _, labels = load_split(DATA_DIR, "train")
    counts = long_tail_counts(100, "exp", per_class=200)
    train_idx, _ = long_tail_split(labels, counts, 1, 20)
    single = rebalance.AdaptiveSampler(labels[train_idx], NUM_CLASSES, "instance", seed=1,
                                       num_replicas=1, rank=0)
    single.set_epoch(1)
    plan = single.indices()
    shards = [torch.tensor(s) for s in ranks["first_epoch_shards"]]
    n = len(plan)
    padded = torch.cat([plan, plan[:2 * len(shards[0]) - n]])
    assert torch.equal(shards[0], padded[0::2]) and torch.equal(shards[1], padded[1::2])
    assert len(set(shards[0][: n // 2].tolist()) & set(shards[1][: n // 2].tolist())) == 0
