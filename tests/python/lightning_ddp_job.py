"""Run by test_lightning_ddp.py: Trainer(strategy="ddp", devices=2, accelerator="cpu") on gloo
with RebalanceCallback and an AdaptiveSampler that shards itself
(use_distributed_sampler=False). Lightning starts rank 1 by running this script again; each
rank writes what it trained on and what it decided to OUT/rank<r>.json."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "plugin" / "python"),
                str(HERE.parents[1] / "scripts")]

from lightning_support import Tiny, phases, trainer  # noqa: E402

import rebalance  # noqa: E402
from rebalance.lightning import RebalanceCallback  # noqa: E402


def main(out):
    module = Tiny(build_sampler_in_setup=True)
    callback = RebalanceCallback(rebalance.make_scheduler(phases()), criterion=module.criterion,
                                 head="head")
    t = trainer(4, callback, strategy="ddp", devices=2, use_distributed_sampler=False)
    t.fit(module)
    sampler = callback.sampler
    Path(out, f"rank{t.global_rank}.json").write_text(json.dumps({
        "world": t.world_size, "rank": sampler.rank, "seen": module.seen,
        "epoch_log": module.epoch_log, "scheduler": callback.scheduler.describe(),
        "multipliers": sampler.multipliers().tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])
