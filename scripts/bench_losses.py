#!/usr/bin/env python3
"""Forward+backward time and memory held for backward of rebalance's fused focal losses
against the peers measured in the same run (float32, one thread by default):

  sigmoid: torchvision.ops.sigmoid_focal_loss eager and under torch.compile, and a bare
           torch.sigmoid pass (the memory-traffic floor)
  softmax: torch.nn.functional.cross_entropy (ours computes the focal loss, gamma = 2) and a
           plain-PyTorch softmax focal loss under torch.compile
  LDAM:    the plain-PyTorch LDAM loss (one_hot, margins, scale, F.cross_entropy)

Prints markdown tables; ratio = peer time / our time (> 1: we are faster). --no-compile skips
the compiled peers (each shape compiles once, outside the timing).
--device cuda adds 16M-element sigmoid shapes and large softmax batches (needs a CUDA build of
librebalance.so); the GPU goals are sigmoid >= 5x torchvision and within 2x of the bare
sigmoid() pass at 16M elements, softmax focal no slower than F.cross_entropy.
Usage: bench_losses.py [--threads N] [--repeat R] [--device cpu|cuda] [--quick] [--no-compile]
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


def plain_softmax_focal(x, y, gamma=2.0):
    """The softmax focal loss as a user writes it in a few lines of PyTorch (mean over rows)."""
    logp_t = F.log_softmax(x, dim=1).gather(1, y[:, None]).squeeze(1)
    return (-((1 - logp_t.exp()) ** gamma) * logp_t).mean()


def plain_ldam(x, y, margins, scale):
    """LDAM as a user writes it in PyTorch (Cao et al.'s reference code): cross-entropy of
    scale * (x - margins[y] at the target column)."""
    adjusted = x - F.one_hot(y, x.shape[1]).to(x.dtype) * margins
    return F.cross_entropy(scale * adjusted, y)


def fwd_bwd(loss_fn, x):
    def run():
        x.grad = None
        loss_fn(x).backward()
    return run


def fwd(loss_fn, x):
    return lambda: loss_fn(x)


def shape_name(shape):
    return "x".join(map(str, shape))


def ratio(peer_t, ours_t):
    return f"{peer_t * 1e3:.2f} (**{peer_t / ours_t:.1f}x**)"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="skip the torch.compile peers")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = args.device
    torch.manual_seed(0)

    sigmoid_shapes = [(1 << 20, 1), (1 << 16, 80), (1 << 14, 1000)]
    softmax_shapes = [(1 << 16, 10), (1 << 16, 16), (1 << 15, 100), (1 << 14, 1000)]
    if device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("bench_losses.py: --device cuda, but torch.cuda.is_available() is False")
        if not torch._C._dispatch_has_kernel_for_dispatch_key(
            "rebalance::_sigmoid_focal_loss_forward", "CUDA"):
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
          f"({where}), median of {args.repeat}; times in ms, (ratio = peer / ours)")
    compiled = (lambda fn: torch.compile(fn)) if args.compile else None

    print(f"\n| sigmoid focal | ours fwd+bwd | {peer_name} eager | {peer_name} compiled | "
          "bare sigmoid() | ours / bare | ours saved / logits | peer saved / logits |")
    print("|---|---|---|---|---|---|---|---|")
    peer_fn = (torchvision.ops.sigmoid_focal_loss if torchvision is not None
               else composite_sigmoid_focal)
    for shape in sigmoid_shapes:
        x = torch.randn(shape, device=device, requires_grad=True)
        t = (torch.rand(shape, device=device) > 0.9).float()
        ours = lambda z: torch.ops.rebalance.sigmoid_focal_loss(z, t, 0.25, 2.0, None, "mean")
        peer = lambda z: peer_fn(z, t, 0.25, 2.0, "mean")
        ours_t = time_fn(fwd_bwd(ours, x), device, args.repeat)
        peer_t = time_fn(fwd_bwd(peer, x), device, args.repeat)
        compiled_cell = "skipped"
        if compiled is not None:
            torch._dynamo.reset()
            peer_c = compiled(peer)
            compiled_cell = ratio(time_fn(fwd_bwd(peer_c, x), device, args.repeat), ours_t)
        bare_t = time_fn(lambda: torch.sigmoid(x.detach()), device, args.repeat)
        nbytes = x.numel() * x.element_size()
        print(f"| {shape_name(shape)} | {ours_t * 1e3:.2f} | {ratio(peer_t, ours_t)} | "
              f"{compiled_cell} | {bare_t * 1e3:.2f} | {ours_t / bare_t:.1f}x | "
              f"{saved_bytes(lambda: ours(x)) / nbytes:.2f} | "
              f"{saved_bytes(lambda: peer(x)) / nbytes:.2f} |")

    print("\n| softmax focal (gamma 2) | ours fwd+bwd | F.cross_entropy eager | "
          "plain-PyTorch focal compiled | ours fwd | F.cross_entropy fwd | "
          "ours saved / logits | F.cross_entropy saved / logits |")
    print("|---|---|---|---|---|---|---|---|")
    for shape in softmax_shapes:
        x = torch.randn(shape, device=device, requires_grad=True)
        y = torch.randint(0, shape[1], shape[:1], device=device)
        ours = lambda z: torch.ops.rebalance.softmax_focal_loss(z, y, 2.0, None, "mean", -100, 0.0)
        peer = lambda z: F.cross_entropy(z, y)
        ours_t = time_fn(fwd_bwd(ours, x), device, args.repeat)
        peer_t = time_fn(fwd_bwd(peer, x), device, args.repeat)
        compiled_cell = "skipped"
        if compiled is not None:
            torch._dynamo.reset()
            focal_c = compiled(lambda z: plain_softmax_focal(z, y))
            compiled_cell = ratio(time_fn(fwd_bwd(focal_c, x), device, args.repeat), ours_t)
        ours_fwd = time_fn(fwd(ours, x.detach()), device, args.repeat)
        peer_fwd = time_fn(fwd(peer, x.detach()), device, args.repeat)
        nbytes = x.numel() * x.element_size()
        print(f"| {shape_name(shape)} | {ours_t * 1e3:.2f} | {ratio(peer_t, ours_t)} | "
              f"{compiled_cell} | {ours_fwd * 1e3:.2f} | {ratio(peer_fwd, ours_fwd)} | "
              f"{saved_bytes(lambda: ours(x)) / nbytes:.2f} | "
              f"{saved_bytes(lambda: peer(x)) / nbytes:.2f} |")

    print("\n| LDAM (s = 30) | ours fwd+bwd | plain-PyTorch LDAM eager | ours saved / logits | "
          "peer saved / logits |")
    print("|---|---|---|---|---|")
    for shape in softmax_shapes:
        x = torch.randn(shape, device=device, requires_grad=True)
        y = torch.randint(0, shape[1], shape[:1], device=device)
        margins = torch.ops.rebalance.ldam_margins(torch.arange(1, shape[1] + 1) * 10, 0.5)
        margins = margins.to(device)
        ours = lambda z: torch.ops.rebalance.ldam_loss(z, y, margins, 30.0, None, "mean", -100)
        peer = lambda z: plain_ldam(z, y, margins, 30.0)
        ours_t = time_fn(fwd_bwd(ours, x), device, args.repeat)
        peer_t = time_fn(fwd_bwd(peer, x), device, args.repeat)
        nbytes = x.numel() * x.element_size()
        print(f"| {shape_name(shape)} | {ours_t * 1e3:.2f} | {ratio(peer_t, ours_t)} | "
              f"{saved_bytes(lambda: ours(x)) / nbytes:.2f} | "
              f"{saved_bytes(lambda: peer(x)) / nbytes:.2f} |")


if __name__ == "__main__":
    main()
