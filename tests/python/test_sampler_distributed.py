"""Two gloo ranks on loopback: AdaptiveSampler shards partition one global plan, and scores
all-reduced across ranks then fed to update() keep the ranks' plans identical."""

import numpy as np
import torch
import torch.distributed as dist

import rebalance  # noqa: F401
from distributed_support import run_ranks

C, SIZES, SEED = 4, [101, 40, 12, 6], 7
N = sum(SIZES)
SHARD = (N + 1) // 2


def data():
    g = torch.Generator().manual_seed(0)
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(SIZES)])
    labels = labels[torch.randperm(N, generator=g)]
    # A fake classifier that is right more often on the frequent classes.
    right = torch.rand(N, generator=g) < torch.tensor([0.9, 0.7, 0.4, 0.2])[labels]
    return labels, right


def local_counts(labels, right, part):
    hits = torch.bincount(labels[part][right[part]], minlength=C).double()
    return hits, torch.bincount(labels[part], minlength=C).double()


def worker(rank, world, port, out):
    import datetime
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=30))
    try:
        from rebalance import AdaptiveSampler
        labels, right = data()
        sampler = AdaptiveSampler(labels, C, "dynamic", step=2.0, seed=SEED)
        assert len(sampler) == SHARD
        out[rank, 0].copy_(torch.tensor(list(iter(sampler))))
        # Each rank evaluates its own shard; the sums over ranks give the global recall.
        hits, support = local_counts(labels, right, sampler.indices().unique())
        dist.all_reduce(hits)
        dist.all_reduce(support)
        sampler.update(hits / support)
        sampler.set_epoch(1)
        out[rank, 1].copy_(sampler.indices())
    finally:
        dist.destroy_process_group()


def test_two_ranks_share_one_plan_and_one_policy_state():
    out = torch.zeros(2, 2, SHARD, dtype=torch.int64).share_memory_()
    run_ranks(worker, (out,))

    labels, right = data()
    single = rebalance.AdaptiveSampler(labels, C, "dynamic", step=2.0, seed=SEED)
    plan = single.indices()
    padded = torch.cat([plan, plan[: 2 * SHARD - N]])
    for epoch in range(2):
        shards = out[:, epoch]
        for rank in range(2):
            assert torch.equal(shards[rank], padded[rank::2])
        # Disjoint up to padding: positions N.. of the padded plan are the only repeats.
        interleaved = torch.stack([shards[0], shards[1]], 1).reshape(-1)
        assert torch.equal(interleaved[:N], plan)
        if epoch == 0:
            hits = torch.zeros(C, dtype=torch.float64)
            support = torch.zeros(C, dtype=torch.float64)
            for rank in range(2):
                h, s = local_counts(labels, right, shards[rank].unique())
                hits += h
                support += s
            single.update(hits / support)
            single.set_epoch(1)
            plan = single.indices()
            padded = torch.cat([plan, plan[: 2 * SHARD - N]])
    counts = np.bincount(labels[plan].numpy(), minlength=C)
    assert counts[3] > SIZES[3] and counts[0] < SIZES[0]
