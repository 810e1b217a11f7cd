"""scripts/hf_trainer_example.py: a transformers.Trainer trains a tiny locally built BERT with
rebalance's loss (compute_loss) and AdaptiveSampler (_get_train_sampler); the batches follow
the sampler's plans and every training loss comes from rebalance's focal loss."""

import sys
from pathlib import Path

import pytest
import torch

from torchvision_compat import import_torchvision

import_torchvision()
pytest.importorskip("transformers")
pytest.importorskip("accelerate")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import hf_trainer_example as example  # noqa: E402

import rebalance  # noqa: E402


def test_trainer_uses_our_loss_and_sampler(tmp_path, monkeypatch):
    calls = []
    forward = rebalance.SoftmaxFocalLoss.forward

    def counted(self, logits, target):
        calls.append(torch.is_grad_enabled())
        return forward(self, logits, target)
    monkeypatch.setattr(rebalance.SoftmaxFocalLoss, "forward", counted)
    trainer, train, sampler, metrics = example.run(epochs=2, out_dir=str(tmp_path))

    fresh = rebalance.AdaptiveSampler(train.labels, example.C, "dynamic", seed=0)
    fresh.set_epoch(0)
    first_epoch = fresh.indices().tolist()
    assert train.accessed[:len(first_epoch)] == first_epoch  # epoch 0 followed our plan
    assert len(train.accessed) == 2 * len(first_epoch)
    steps = trainer.state.global_step
    assert steps == 2 * ((len(first_epoch) + 15) // 16)
    assert calls.count(True) == steps  # every training step's loss is ours
    assert sampler.epoch == 1
    assert int(metrics.report()["total"]) == 60  # the evaluation went through ClassMetrics
