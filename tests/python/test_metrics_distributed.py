"""Two gloo ranks on loopback all_reduce ClassMetrics state; the sum equals one process's."""
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import rebalance  # noqa: F401

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_all_reduce_equals_single_process():
    out = torch.zeros(2, C, C, dtype=torch.int64).share_memory_()
    ctx = mp.start_processes(worker, args=(2, free_port(), out), nprocs=2, join=False,
                             start_method="spawn")
    for _ in range(60):
        if ctx.join(timeout=1):
            break
    else:
        for p in ctx.processes:
            p.kill()
        raise AssertionError("gloo workers did not finish within 60 s")
    from rebalance.metrics import ClassMetrics
    single = ClassMetrics(C)
    single.update(*data())
    assert out[0].equal(single.state()) and out[1].equal(single.state())
