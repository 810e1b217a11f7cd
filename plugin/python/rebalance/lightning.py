"""``RebalanceCallback``: a ``PhaseScheduler`` driving a Lightning training run.

Needs lightning (``import rebalance`` does not)::

    sampler = rebalance.AdaptiveSampler(train_labels, C, seed=0)   # DataLoader(sampler=sampler)
    callback = RebalanceCallback(rebalance.PhaseScheduler("recommended", 8), sampler=sampler,
                                 criterion=module.criterion, head="fc2")
    Trainer(callbacks=[callback], max_epochs=8).fit(module, train_loader, val_loader)

The module's ``validation_step`` returns ``{"logits": logits, "target": target}`` (or a
``(logits, target)`` pair). At each validation end the callback all-reduces the confusion
matrix over the ranks (``trainer.strategy.reduce``), feeds the report to the scheduler
(``end_epoch(recall, macro_f1)``), the sampler (``update(f1)``) and the dynamic weights
(``update_from_report(report, "recall")``); at each training epoch start it applies the
scheduler's phase: the sampler's policy and epoch, the criterion's ``class_weight``, every
optimizer group's LR (base LR × ``lr_factor``) and, with ``head``, trains the head alone (the
other gradients are dropped before each optimizer step, so SGD's momentum and weight decay do
not move them either, and DDP needs no ``find_unused_parameters``).
Phases that end after a number of steps switch at the next epoch boundary.

**DDP**: the AdaptiveSampler shards its plan itself (``plan[rank::world]``), so use
``Trainer(use_distributed_sampler=False)`` and build the sampler after the process group exists
(in ``setup()``/``train_dataloader()``, then ``callback.sampler = sampler``, or as
``train_sampler`` on the LightningModule / DataModule): the callback refuses a sampler sharded
for another world size or a Trainer that would shard it again.

``state_dict()`` / ``load_state_dict()`` hold the scheduler, sampler, dynamic weights and base
LRs (weights-only loadable), so ``Trainer.fit(ckpt_path=...)`` resumes exactly.
"""

try:
    from lightning.pytorch.callbacks import Callback
except ImportError as error:  # pragma: no cover - exercised by the optional-import test
    raise ImportError("rebalance.lightning needs lightning (pip install lightning)") from error

import pickle
from typing import Any, Dict, Optional

import torch

from .metrics import ClassMetrics
from .weighting import class_weights


class RebalanceCallback(Callback):
    """Applies a ``PhaseScheduler``'s decisions to a Lightning run (see the module docstring).

    Args:
        scheduler: ``rebalance.PhaseScheduler`` (a preset or ``make_scheduler``); read the live
            one from ``callback.scheduler`` (a checkpoint restore replaces it).
        sampler: the training ``rebalance.AdaptiveSampler``; default: ``train_sampler`` of the
            DataModule or LightningModule, looked up when fitting starts.
        criterion: a module with a ``class_weight`` buffer (``rebalance.SoftmaxFocalLoss``) that
            receives the phase's weights; None leaves weighting to the module.
        dynamic_weights: ``rebalance.DynamicClassWeights`` used by "dynamic" weighting.
        head: name of the submodule trained alone in ``head_only`` phases.
        logits_key, target_key: keys of the validation step's output dict.
    """

    def __init__(self, scheduler, sampler=None, criterion: Optional[torch.nn.Module] = None,
                 dynamic_weights=None, head: Optional[str] = None, logits_key: str = "logits",
                 target_key: str = "target"):
        if not hasattr(scheduler, "end_epoch") or not hasattr(scheduler, "lr_factor"):
            raise TypeError(f"RebalanceCallback: scheduler must be a rebalance.PhaseScheduler, "
                            f"got {type(scheduler).__name__}")
        if criterion is not None and not hasattr(criterion, "class_weight"):
            raise TypeError(f"RebalanceCallback: criterion must have a class_weight buffer "
                            f"(e.g. rebalance.SoftmaxFocalLoss), got {type(criterion).__name__}")
        self.scheduler = scheduler
        self.sampler = sampler
        self.criterion = criterion
        self.dynamic_weights = dynamic_weights
        self.head = head
        self.logits_key, self.target_key = logits_key, target_key
        self.base_lrs = None
        self._frozen = []
        self._metrics = None
        self._pending: Optional[Dict[str, Any]] = None

    # -- fitting starts: find the sampler, check the DDP configuration, restore, apply ---------
    def on_fit_start(self, trainer, pl_module):
        if self.sampler is None:
            for owner in (trainer.datamodule, pl_module):
                self.sampler = getattr(owner, "train_sampler", None) or self.sampler
        if self.sampler is None:
            raise ValueError("RebalanceCallback: no sampler: pass sampler=AdaptiveSampler(...) "
                             "or set train_sampler on the LightningModule or DataModule")
        self._check_sharding(trainer)
        if self.head is not None and not hasattr(pl_module, self.head):
            raise ValueError(f"RebalanceCallback: head={self.head!r} is not a submodule of "
                             f"{type(pl_module).__name__}")
        num_classes = len(self.sampler.class_counts())
        self._metrics = ClassMetrics(num_classes)
        if self._pending is not None:
            self._restore(self._pending)
            self._pending = None
        if self.base_lrs is None:
            self.base_lrs = [[g["lr"] for g in opt.param_groups] for opt in trainer.optimizers]
        self.sampler.set_epoch(trainer.current_epoch)  # the plan the first iteration builds
        self._apply(trainer, pl_module)

    def _check_sharding(self, trainer):
        world, replicas = trainer.world_size, self.sampler.num_replicas
        if world > 1 and getattr(trainer._accelerator_connector, "use_distributed_sampler", False):
            raise ValueError("RebalanceCallback: the AdaptiveSampler shards its plan itself; pass "
                             "Trainer(use_distributed_sampler=False) so that Lightning does not "
                             "shard it a second time")
        if replicas != world:
            raise ValueError(f"RebalanceCallback: the AdaptiveSampler shards for {replicas} "
                             f"replicas but the Trainer runs {world} processes; build it after "
                             f"the process group exists (setup() or train_dataloader())")

    # -- epoch boundaries ------------------------------------------------------------------------
    def on_train_epoch_start(self, trainer, pl_module):
        self._apply(trainer, pl_module)

    def _apply(self, trainer, pl_module):
        """Puts the scheduler's current phase into the sampler, loss, optimizers and module."""
        s = self.scheduler
        if self.sampler.policy != s.sampling():
            self.sampler.set_policy(s.sampling())
        if self.criterion is not None:
            self.criterion.class_weight = self._weights(pl_module)
        for opt, bases in zip(trainer.optimizers, self.base_lrs):
            for group, base in zip(opt.param_groups, bases):
                group["lr"] = base * s.lr_factor()
        self._frozen = []
        if self.head is not None and s.head_only():
            head = set(id(p) for p in getattr(pl_module, self.head).parameters())
            self._frozen = [p for p in pl_module.parameters() if id(p) not in head]

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        # Head-only phases drop the other gradients here instead of turning off requires_grad,
        # which DDP's reducer (built when fitting starts) would reject as unused parameters.
        for p in self._frozen:
            p.grad = None

    def _weights(self, pl_module):
        weighting = self.scheduler.weighting()
        if weighting == "none":
            return None
        if weighting == "dynamic":
            if self.dynamic_weights is None:
                raise ValueError("RebalanceCallback: the phase uses dynamic weighting; pass "
                                 "dynamic_weights=rebalance.DynamicClassWeights(...)")
            w = self.dynamic_weights.weights()
        else:
            w = class_weights(self.sampler.class_counts(), weighting)
        return w.to(pl_module.device, torch.float32)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.scheduler.on_step()

    # -- validation: the per-class report, synced across ranks -----------------------------------
    def on_validation_epoch_start(self, trainer, pl_module):
        if self._metrics is not None:
            self._metrics.reset()

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                                dataloader_idx=0):
        if self._metrics is None or trainer.sanity_checking:
            return
        if isinstance(outputs, dict):
            missing = [k for k in (self.logits_key, self.target_key) if k not in outputs]
            if missing:
                raise KeyError(f"RebalanceCallback: validation_step must return "
                               f"'{self.logits_key}' and '{self.target_key}'; missing {missing}")
            logits, target = outputs[self.logits_key], outputs[self.target_key]
        elif isinstance(outputs, (tuple, list)) and len(outputs) == 2:
            logits, target = outputs
        else:
            raise TypeError(f"RebalanceCallback: validation_step must return a dict with "
                            f"'{self.logits_key}'/'{self.target_key}' or a (logits, target) "
                            f"pair, got {type(outputs).__name__}")
        self._metrics.update(logits, target)

    def on_validation_epoch_end(self, trainer, pl_module):
        if self._metrics is None or trainer.sanity_checking:
            return
        state = trainer.strategy.reduce(self._metrics.state().clone(), reduce_op="sum")
        self._metrics.set_state(state)
        report = self._metrics.report()
        if int(report["total"]) == 0:
            return
        macro_f1 = float(report["macro_f1"])
        _, _, finished, _ = self.scheduler.end_epoch(report["recall"], macro_f1)
        self.sampler.update(report["f1"])
        if self.dynamic_weights is not None:
            self.dynamic_weights.update_from_report(report, "recall")
        pl_module.log("val_macro_f1", macro_f1, sync_dist=False, rank_zero_only=False)
        if finished:
            trainer.should_stop = True

    # -- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        return {"scheduler": pickle.dumps(self.scheduler),
                "sampler": None if self.sampler is None else self.sampler.script_object.state(),
                "dynamic_weights": (None if self.dynamic_weights is None else
                                    pickle.dumps(self.dynamic_weights)),
                "base_lrs": self.base_lrs}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self.scheduler = pickle.loads(state_dict["scheduler"])
        if state_dict["dynamic_weights"] is not None:
            self.dynamic_weights = pickle.loads(state_dict["dynamic_weights"])
        self.base_lrs = state_dict["base_lrs"]
        self._pending = state_dict  # the sampler may exist only once fitting starts

    def _restore(self, state_dict):
        if state_dict["sampler"] is not None:  # rank 0's state: keep this rank's shard
            rank, replicas = self.sampler.rank, self.sampler.num_replicas
            self.sampler.script_object.load_state(state_dict["sampler"])
            self.sampler.set_shard(rank, replicas)
