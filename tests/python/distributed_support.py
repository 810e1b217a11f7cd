"""Runs a test's worker on several gloo ranks on loopback, bounded in time."""

import socket

import torch.multiprocessing as mp


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(worker, args, nprocs=2, timeout_s=60):
    """Spawns worker(rank, nprocs, port, *args) on nprocs processes; kills them and fails the
    test if they are not done within timeout_s (a worker's exception fails it too)."""
    ctx = mp.start_processes(worker, args=(nprocs, free_port()) + tuple(args), nprocs=nprocs,
                             join=False, start_method="spawn")
    for _ in range(timeout_s):
        if ctx.join(timeout=1):
            return
    for p in ctx.processes:
        p.kill()
    raise AssertionError(f"gloo workers did not finish within {timeout_s} s")
