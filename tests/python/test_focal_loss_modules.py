"""rebalance.SigmoidFocalLoss / SoftmaxFocalLoss modules, TorchScript and the package loader."""

import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision_compat import import_torchvision

import rebalance

torchvision = import_torchvision()


def test_library_path_points_at_the_loaded_library():
    path = Path(rebalance.library_path())
    assert path.is_file() and path.name.startswith("librebalance.so")


def test_missing_explicit_library_is_a_clear_error():
    env = dict(os.environ, REBALANCE_LIBRARY="/nonexistent/librebalance.so",
               PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", "import rebalance"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "/nonexistent/librebalance.so does not exist" in result.stderr


def test_modules_match_references_and_carry_weights_as_buffers():
    torch.manual_seed(0)
    w = torch.rand(4) + 0.5
    softmax = rebalance.SoftmaxFocalLoss(gamma=0.0, class_weight=w, label_smoothing=0.1)
    assert "class_weight" in dict(softmax.named_buffers())
    x, y = torch.randn(8, 4), torch.randint(0, 4, (8,))
    torch.testing.assert_close(softmax(x, y), F.cross_entropy(x, y, weight=w, label_smoothing=0.1))

    sigmoid = rebalance.SigmoidFocalLoss(alpha=0.5, gamma=1.0, reduction="sum")
    t = (torch.rand(8, 4) > 0.5).float()
    torch.testing.assert_close(sigmoid(x, t),
                               torchvision.ops.sigmoid_focal_loss(x, t, 0.5, 1.0, "sum"))


def test_scripted_modules_round_trip_through_save_and_load(tmp_path):
    torch.manual_seed(1)
    modules = {
        "softmax": rebalance.SoftmaxFocalLoss(gamma=2.0, class_weight=torch.rand(5)),
        "sigmoid": rebalance.SigmoidFocalLoss(gamma=0.5),
    }
    x = torch.randn(6, 5)
    targets = {"softmax": torch.randint(0, 5, (6,)), "sigmoid": (torch.rand(6, 5) > 0.5).float()}
    for name, module in modules.items():
        scripted = torch.jit.script(module)
        path = tmp_path / f"{name}.pt"
        scripted.save(str(path))
        loaded = torch.jit.load(str(path))
        xg = x.clone().requires_grad_(True)
        out = loaded(xg, targets[name])
        out.backward()
        xe = x.clone().requires_grad_(True)
        expected = module(xe, targets[name])
        expected.backward()
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(xg.grad, xe.grad)
        assert "ops.rebalance.%s_focal_loss" % name in loaded.code


def test_scripted_function_calls_the_ops():
    @torch.jit.script
    def loss_fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.softmax_focal_loss(x, y, gamma=0.0, reduction="sum")

    x, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 1])
    torch.testing.assert_close(loss_fn(x, y), F.cross_entropy(x, y, reduction="sum"))
