"""Two gloo ranks on loopback all_reduce ClassMetrics state; the sum equals one process's."""
import torch
import torch.distributed as dist

import rebalance  # noqa: F401
from distributed_support import run_ranks

C, N = 5, 400


def data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(N, C, generator=g), torch.randint(0, C, (N,), generator=g)


def worker(rank, world, port, out):
    import datetime
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=30))
    try:
        from rebalance.metrics import ClassMetrics, all_reduce_metrics
        logits, target = data()
        m = ClassMetrics(C)
        m.update(logits[rank::world], target[rank::world])
        all_reduce_metrics(m)
        out[rank].copy_(m.state())
    finally:
        dist.destroy_process_group()


def test_all_reduce_equals_single_process():
    out = torch.zeros(2, C, C, dtype=torch.int64).share_memory_()
    run_ranks(worker, (out,))
    from rebalance.metrics import ClassMetrics
    single = ClassMetrics(C)
    single.update(*data())
    assert out[0].equal(single.state()) and out[1].equal(single.state())
