"""rebalance.lightning.RebalanceCallback on one process: the phases reach the sampler, loss,
LR and frozen body at the epoch boundaries; the scheduler gets the validation report (equal to
scikit-learn's macro-F1); a run resumed from a Lightning checkpoint ends exactly like an
uninterrupted one; misconfigurations raise errors naming the callback."""

import pytest
import torch

from torchvision_compat import import_torchvision  # noqa: E402

import_torchvision()  # lightning imports torchmetrics, which imports torchvision
pytest.importorskip("lightning")
from lightning_support import C, Tiny, data, phases, trainer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

import rebalance  # noqa: E402
from rebalance.lightning import RebalanceCallback  # noqa: E402


def fit(max_epochs, module=None, ckpt_path=None):
    module = module or Tiny()
    callback = RebalanceCallback(rebalance.make_scheduler(phases()), sampler=module.train_sampler,
                                 criterion=module.criterion, head="head")
    t = trainer(max_epochs, callback)
    t.fit(module, ckpt_path=ckpt_path)
    return module, callback, t


def test_phases_applied_at_epoch_boundaries_and_report_fed():
    module, callback, t = fit(4)
    log = module.epoch_log
    assert [e["policy"] for e in log] == ["instance", "instance", "dynamic", "dynamic"]
    assert [e["lr"] for e in log] == pytest.approx([0.5, 0.5, 0.05, 0.05])
    assert log[1]["body"] != log[0]["body"]  # head-only from epoch 2: the body stops moving
    assert log[2]["body"] == log[3]["body"] == module.body.weight.tolist()
    inverse = rebalance.class_weights(torch.tensor([60, 24, 12]), "inverse").tolist()
    assert log[0]["weight"] is None and log[2]["weight"] == pytest.approx(inverse)
    assert log[2]["draws"] != log[0]["draws"]  # dynamic draws moved with the validation F1
    assert callback.scheduler.epoch() == 4
    x, y, _ = data()
    with torch.no_grad():
        pred = module(x).argmax(1)
    assert float(t.callback_metrics["val_macro_f1"]) == pytest.approx(
        f1_score(y, pred, average="macro"))


def test_resume_from_checkpoint_is_exact(tmp_path):
    whole, whole_cb, _ = fit(4)
    first, _, t = fit(2)
    t.save_checkpoint(tmp_path / "two.ckpt")
    resumed, resumed_cb, _ = fit(4, ckpt_path=str(tmp_path / "two.ckpt"))
    assert resumed_cb.scheduler.describe() == whole_cb.scheduler.describe()
    for epoch in (2, 3):
        assert resumed.seen[epoch] == whole.seen[epoch]
    for a, b in zip(resumed.parameters(), whole.parameters()):
        assert torch.equal(a, b)


def test_errors_name_the_callback():
    with pytest.raises(TypeError, match="RebalanceCallback: scheduler must be"):
        RebalanceCallback(object())
    module = Tiny()
    module.train_sampler = rebalance.AdaptiveSampler(module.y, C, num_replicas=2, rank=0)
    callback = RebalanceCallback(rebalance.make_scheduler(phases()), sampler=module.train_sampler)
    with pytest.raises(ValueError, match="RebalanceCallback: the AdaptiveSampler shards for 2"):
        trainer(1, callback).fit(module)
    module = Tiny()
    module.validation_step = lambda batch, *args: {"out": module(batch[0])}
    callback = RebalanceCallback(rebalance.make_scheduler(phases()), sampler=module.train_sampler)
    with pytest.raises(KeyError, match="RebalanceCallback: validation_step must return"):
        trainer(1, callback, num_sanity_val_steps=0).fit(module)
