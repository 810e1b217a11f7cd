"""Writes a TorchScript bundle for torchscript_roundtrip_test.cpp: the rebalance loss modules,
scripted and saved in Python, with inputs and reference outputs from torchvision and
torch.nn.functional stored as buffers. Usage: make_scripted_losses.py OUT.pt"""

import sys
from pathlib import Path
from typing import Tuple

import torch
import torch.nn.functional as F

import rebalance

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
from torchvision_compat import import_torchvision  # noqa: E402

torchvision = import_torchvision()


class Bundle(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.softmax = rebalance.SoftmaxFocalLoss(gamma=0.0, class_weight=torch.rand(5) + 0.5,
                                                  label_smoothing=0.05)
        self.sigmoid = rebalance.SigmoidFocalLoss(alpha=0.25, gamma=2.0)
        logits = torch.randn(9, 5, dtype=torch.float64)
        target = torch.randint(0, 5, (9,))
        soft = (torch.rand(9, 5) > 0.7).double()
        self.register_buffer("logits", logits)
        self.register_buffer("target", target)
        self.register_buffer("soft_target", soft)
        self.register_buffer("expected_softmax", F.cross_entropy(
            logits, target, weight=self.softmax.class_weight.double(), label_smoothing=0.05))
        self.register_buffer("expected_sigmoid",
                             torchvision.ops.sigmoid_focal_loss(logits, soft, 0.25, 2.0, "mean"))

    def forward(self, logits: torch.Tensor, target: torch.Tensor,
                soft_target: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        weight = self.softmax.class_weight
        return (torch.ops.rebalance.softmax_focal_loss(
                    logits, target, 0.0, weight.to(logits.dtype) if weight is not None else None,
                    "mean", -100, 0.05),
                self.sigmoid(logits, soft_target))


torch.jit.script(Bundle()).save(sys.argv[1])
