"""What the Python Fashion-MNIST-LT recipes share with examples/fmnist_lt.cpp: the IDX loader,
the seeded long-tailed split (the same construction and generator as fmnist::long_tail_split, so
the indices are identical; tests/python/test_recipes.py checks it), the CNN and evaluation."""

import gzip
import math
import os
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
NUM_CLASSES = 10
PROFILES = ["exp", "step", "balanced", "balanced_step"]  # long_tail_counts' class-count profiles


def load_split(data_dir, prefix):
    """Images (N, 1, 28, 28) float32 in [0, 1] and int64 labels of one IDX split."""
    def read(stem, offset):
        for name in (stem + ".gz", stem):
            path = Path(data_dir) / name
            if path.exists():
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rb") as f:
                    return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
        raise FileNotFoundError(f"fmnist: no {stem}[.gz] in {data_dir}")
    images = read(f"{prefix}-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    labels = read(f"{prefix}-labels-idx1-ubyte", 8)
    return (torch.from_numpy(images.astype(np.float32) / 255),
            torch.from_numpy(labels.astype(np.int64)))


def long_tail_counts(ratio, profile="exp", per_class=5000, classes=NUM_CLASSES):
    """n_c = floor(per_class * ratio^(-c/(C-1))) ("exp"), per_class / per_class/ratio ("step"),
    or the exp ("balanced") or step ("balanced_step") profile's total split equally, the first
    classes taking the remainder (the balanced-data upper bound with as many images)."""
    if profile in ("balanced", "balanced_step"):
        skewed = "exp" if profile == "balanced" else "step"
        total = sum(long_tail_counts(ratio, skewed, per_class, classes))
        return [total // classes + (c < total % classes) for c in range(classes)]
    if profile == "exp":
        counts = [per_class * ratio ** (-c / max(classes - 1, 1)) for c in range(classes)]
    elif profile == "step":
        counts = [per_class if c < classes // 2 else per_class / ratio for c in range(classes)]
    else:
        raise ValueError(f"fmnist: profile must be exp, step, balanced or balanced_step, got "
                         f"{profile}")
    return [max(1, int(math.floor(n))) for n in counts]


def long_tail_split(labels, counts, seed, val_per_class=100):
    """Train / validation indices: per class a permutation from one generator seeded with
    `seed`, the first val_per_class for validation, the next counts[c] for training."""
    g = torch.Generator().manual_seed(seed)
    train, val = [], []
    for c, n in enumerate(counts):
        members = torch.nonzero(labels == c).flatten()
        order = members[torch.randperm(members.numel(), generator=g)]
        n_val = min(val_per_class, order.numel())
        val.append(order[:n_val])
        train.append(order[n_val:n_val + min(n, order.numel() - n_val)])
    return torch.cat(train), torch.cat(val)


class Net(nn.Module):
    """conv16-pool-conv32-pool-fc128-fc10, the parameter names of fmnist::Net."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def predict(model, x, batch=1000):
    """argmax predictions of `model` on x, in batches, in eval mode and without gradients."""
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    model.train()
    return pred


def init_distributed():
    """(rank, world size): a gloo process group under torchrun (WORLD_SIZE > 1), else (0, 1)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1
    dist.init_process_group("gloo")
    return dist.get_rank(), dist.get_world_size()


def broadcast_parameters(model):
    """Rank 0's parameters on every rank (the seeded init already agrees; this makes it sure)."""
    for p in model.parameters():
        dist.broadcast(p.data, 0)


def average_gradients(model, world):
    """Data-parallel step: the mean of the ranks' gradients, one all_reduce per step."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()
