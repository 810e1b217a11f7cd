#!/usr/bin/env python3
"""Forward+backward time and memory held for backward of rebalance's fused focal losses
against the peers measured in the same run (float32, one thread by default):

  sigmoid: torchvision.ops.sigmoid_focal_loss (and a bare torch.sigmoid pass, for scale)
  softmax: torch.nn.functional.cross_entropy (ours computes the focal loss, gamma = 2)

Prints a markdown table; ratio = peer time / our time (> 1: we are faster).
--device cuda adds 16M-element sigmoid shapes and large softmax batches (needs a CUDA build of
librebalance.so); the GPU goals are sigmoid >= 5x torchvision and within 2x of the bare
sigmoid() pass at 16M elements, softmax focal no slower than F.cross_entropy.
Usage: bench_losses.py [--threads N] [--repeat R] [--device cpu|cuda] [--quick]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from torchvision_compat import import_torchvision

try:
    torchvision = import_torchvision()
except ImportError:  # e.g. a GPU machine without it: the same formula as an ATen composite
    torchvision = None

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402,F401


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def time_fn(fn, device, repeat):
    fn()  # warm-up
    sync(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def saved_bytes(fn):
    """Bytes of the tensors autograd keeps for backward while fn's graph is alive."""
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    del out
    return total


def composite_sigmoid_focal(x, t, alpha, gamma, reduction):
    """torchvision.ops.sigmoid_focal_loss's formula, for machines without torchvision."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss = ce * (1 - (p * t + (1 - p) * (1 - t))) ** gamma
    loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def fwd_bwd(loss_fn, x):
    def run():
        x.grad = None
        loss_fn(x).backward()
    return run


def fwd(loss_fn, x):
    return lambda: loss_fn(x)


def row(name, shape, ours_t, peer_name, peer_t, ours_mem, peer_mem, logits_bytes):
    return (f"| {name} | {'x'.join(map(str, shape))} | {ours_t * 1e3:.2f} | {peer_name} | "
            f"{peer_t * 1e3:.2f} | **{peer_t / ours_t:.1f}x** | "
            f"{ours_mem / logits_bytes:.2f} | {peer_mem / logits_bytes:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = args.device
    torch.manual_seed(0)

    sigmoid_shapes = [(1 << 20, 1), (1 << 16, 80), (1 << 14, 1000)]
    softmax_shapes = [(1 << 16, 10), (1 << 14, 1000)]
    if device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("bench_losses.py: --device cuda, but torch.cuda.is_available() is False")
        if not torch._C._dispatch_has_kernel_for_dispatch_key("rebalance::sigmoid_focal_loss",
                                                              "CUDA"):
            sys.exit(f"bench_losses.py: {rebalance.library_path()} has no CUDA kernels "
                     "(build with -DREBALANCE_CUDA=ON against a CUDA PyTorch)")
        sigmoid_shapes += [(1 << 14, 1024), (1 << 24, 1)]  # 16M elements
        softmax_shapes += [(1 << 16, 1000), (1 << 20, 10), (1 << 20, 100)]
    if args.quick:
        sigmoid_shapes = [(4096, 8)]
        softmax_shapes = [(4096, 10)]

    where = torch.cuda.get_device_name() if device == "cuda" else f"threads {torch.get_num_threads()}"
    peer_name = "torchvision" if torchvision is not None else "composite (torchvision formula)"
    tv_version = torchvision.__version__ if torchvision is not None else "absent"
    print(f"torch {torch.__version__}, torchvision {tv_version}, device {device} "
          f"({where}), median of {args.repeat}")
    print("\n| loss | shape | ours fwd+bwd (ms) | peer | peer fwd+bwd (ms) | speed-up | "
          "ours saved / logits | peer saved / logits |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for shape in sigmoid_shapes:
        x = torch.randn(shape, device=device, requires_grad=True)
        t = (torch.rand(shape, device=device) > 0.9).float()
        ours = lambda z: torch.ops.rebalance.sigmoid_focal_loss(z, t, 0.25, 2.0, None, "mean")
        peer_fn = (torchvision.ops.sigmoid_focal_loss if torchvision is not None
                   else composite_sigmoid_focal)
        peer = lambda z: peer_fn(z, t, 0.25, 2.0, "mean")
        ours_t = time_fn(fwd_bwd(ours, x), device, args.repeat)
        peer_t = time_fn(fwd_bwd(peer, x), device, args.repeat)
        bare_t = time_fn(lambda: torch.sigmoid(x.detach()), device, args.repeat)
        # The fused forward alone (it also writes d loss / d logits, as in training).
        ours_fwd = time_fn(fwd(ours, x), device, args.repeat)
        nbytes = x.numel() * x.element_size()
        print(row("sigmoid focal", shape, ours_t, peer_name, peer_t,
                  saved_bytes(lambda: ours(x)), saved_bytes(lambda: peer(x)), nbytes))
        notes.append(f"sigmoid {'x'.join(map(str, shape))}: ours fwd+bwd = {ours_t / bare_t:.1f}x "
                     f"a bare sigmoid() pass (fused forward alone {ours_fwd / bare_t:.1f}x), "
                     f"{peer_name} = {peer_t / bare_t:.1f}x")
    for shape in softmax_shapes:
        x = torch.randn(shape, device=device, requires_grad=True)
        y = torch.randint(0, shape[1], shape[:1], device=device)
        ours = lambda z: torch.ops.rebalance.softmax_focal_loss(z, y, 2.0, None, "mean", -100, 0.0)
        peer = lambda z: F.cross_entropy(z, y)
        ours_t = time_fn(fwd_bwd(ours, x), device, args.repeat)
        peer_t = time_fn(fwd_bwd(peer, x), device, args.repeat)
        nbytes = x.numel() * x.element_size()
        print(row("softmax focal (gamma 2)", shape, ours_t, "F.cross_entropy", peer_t,
                  saved_bytes(lambda: ours(x)), saved_bytes(lambda: peer(x)), nbytes))
        ours_fwd = time_fn(fwd(ours, x.detach()), device, args.repeat)
        peer_fwd = time_fn(fwd(peer, x.detach()), device, args.repeat)
        notes.append(f"softmax {'x'.join(map(str, shape))} forward only: ours {ours_fwd * 1e3:.2f} "
                     f"ms, F.cross_entropy {peer_fwd * 1e3:.2f} ms "
                     f"({peer_fwd / ours_fwd:.1f}x)")
    print()
    for note in notes:
        print("- " + note)


if __name__ == "__main__":
    main()
