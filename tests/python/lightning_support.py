"""A tiny LightningModule and data for the RebalanceCallback tests (single process and DDP)."""

import torch
from torch.utils.data import DataLoader, TensorDataset

from torchvision_compat import import_torchvision

import_torchvision()  # lightning imports torchmetrics, which imports torchvision
import lightning.pytorch as pl  # noqa: E402

import rebalance  # noqa: E402

C, SIZES = 3, [60, 24, 12]


def data(seed=0):
    """(features, labels, row ids): class c is centred at c on every feature."""
    g = torch.Generator().manual_seed(seed)
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(SIZES)])
    x = torch.randn(len(y), 4, generator=g) * 0.8 + y[:, None].float()
    return x, y, torch.arange(len(y))


def phases():
    return [{"name": "warm", "epochs": 2},
            {"name": "tune", "sampling": "dynamic", "weighting": "inverse", "lr_factor": 0.1,
             "head_only": True, "epochs": 2}]


class Tiny(pl.LightningModule):
    """body (Linear 4→8) + head (Linear 8→C); records what each epoch saw and was set to."""

    def __init__(self, build_sampler_in_setup=False):
        super().__init__()
        torch.manual_seed(0)
        self.body = torch.nn.Linear(4, 8)
        self.head = torch.nn.Linear(8, C)
        self.criterion = rebalance.SoftmaxFocalLoss(gamma=0.0)
        self.x, self.y, self.ids = data()
        self.build_sampler_in_setup = build_sampler_in_setup
        self.train_sampler = None if build_sampler_in_setup else self.make_sampler()
        self.seen, self.epoch_log = {}, []

    def make_sampler(self):
        return rebalance.AdaptiveSampler(self.y, C, "instance", seed=3)

    def setup(self, stage):
        if self.build_sampler_in_setup:
            self.train_sampler = self.make_sampler()  # after the process group exists

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))

    def on_train_epoch_start(self):
        opt = self.trainer.optimizers[0]
        w = self.criterion.class_weight
        self.epoch_log.append({"policy": self.train_sampler.policy,
                               "lr": opt.param_groups[0]["lr"],
                               "weight": None if w is None else w.tolist(),
                               "body": self.body.weight.detach().clone().tolist(),
                               "draws": self.train_sampler.draw_counts().tolist()})

    def training_step(self, batch, batch_idx):
        x, y, ids = batch
        self.seen.setdefault(self.current_epoch, []).extend(ids.tolist())
        return self.criterion(self(x), y)

    def validation_step(self, batch, batch_idx):
        x, y, _ = batch
        return {"logits": self(x), "target": y}

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5, momentum=0.9)

    def train_dataloader(self):
        return DataLoader(TensorDataset(self.x, self.y, self.ids), batch_size=8,
                          sampler=self.train_sampler)

    def val_dataloader(self):
        return DataLoader(TensorDataset(self.x, self.y, self.ids), batch_size=32)


def trainer(max_epochs, callback, **kwargs):
    return pl.Trainer(max_epochs=max_epochs, callbacks=[callback], accelerator="cpu",
                      logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, **kwargs)
