#!/usr/bin/env python3
"""A transformers.Trainer with rebalance's loss and sampler: the two hooks a Hugging Face user
overrides (``compute_loss`` and ``_get_train_sampler``, transformers 5.x), plus a
``TrainerCallback`` that feeds the evaluation F1 to the sampler. Runs offline on a tiny BERT
built from a config (no hub download) over synthetic long-tailed token data:

    .venv/bin/python scripts/hf_trainer_example.py
"""

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402
from torchvision_compat import import_torchvision  # noqa: E402

import_torchvision()  # transformers imports torchvision when installed (see torchvision_compat)
from transformers import (BertConfig, BertForSequenceClassification, Trainer,  # noqa: E402
                          TrainerCallback, TrainingArguments)

C, SIZES, VOCAB, LENGTH = 3, [120, 30, 10], 32, 8


class RebalanceTrainer(Trainer):
    """Trainer whose loss is a rebalance loss and whose training sampler is an AdaptiveSampler
    (it shards itself under torch.distributed: every rank builds the same plan)."""

    def __init__(self, *args, criterion, sampler, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.rebalance_sampler = sampler

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        loss = self.criterion(outputs.logits, labels)
        return (loss, outputs) if return_outputs else loss

    def _get_train_sampler(self, train_dataset=None):
        return self.rebalance_sampler


class SamplerFeedback(TrainerCallback):
    """Sets the sampler's epoch and feeds it the per-class F1 of each evaluation."""

    def __init__(self, sampler, metrics):
        self.sampler, self.metrics = sampler, metrics

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.sampler.set_epoch(int(state.epoch or 0))

    def on_evaluate(self, args, state, control, **kwargs):
        self.sampler.update(self.metrics.report()["f1"])


class Tokens(torch.utils.data.Dataset):
    """Token sequences whose first token names the class (plus noise); records each access."""

    def __init__(self, sizes, seed):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.cat([torch.full((n,), c) for c, n in enumerate(sizes)])
        self.ids = torch.randint(C, VOCAB, (len(self.labels), LENGTH), generator=g)
        self.ids[:, 0] = self.labels
        self.accessed = []

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        self.accessed.append(int(i))
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(LENGTH, dtype=torch.long),
                "labels": self.labels[i]}


def run(epochs=3, out_dir=None):
    """Trains the tiny model; returns (trainer, train set, sampler, evaluation ClassMetrics)."""
    torch.manual_seed(0)
    config = BertConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, num_labels=C,
                        max_position_embeddings=LENGTH)
    model = BertForSequenceClassification(config)
    train, val = Tokens(SIZES, 0), Tokens([20, 20, 20], 1)
    counts = torch.tensor(SIZES)
    sampler = rebalance.AdaptiveSampler(train.labels, C, "dynamic", seed=0)
    criterion = rebalance.SoftmaxFocalLoss(
        gamma=1.0, class_weight=rebalance.class_weights(counts, "effective_number").float())
    metrics = rebalance.ClassMetrics(C)

    def compute_metrics(prediction):
        metrics.reset()
        metrics.update(torch.as_tensor(prediction.predictions), torch.as_tensor(
            prediction.label_ids))
        return {"macro_f1": float(metrics.report()["macro_f1"])}

    args = TrainingArguments(output_dir=out_dir or tempfile.mkdtemp(), num_train_epochs=epochs,
                             per_device_train_batch_size=16, learning_rate=5e-3,
                             eval_strategy="epoch", save_strategy="no", report_to=[],
                             use_cpu=True, logging_strategy="no", disable_tqdm=True,
                             dataloader_num_workers=0)
    trainer = RebalanceTrainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                               compute_metrics=compute_metrics, criterion=criterion,
                               sampler=sampler, callbacks=[SamplerFeedback(sampler, metrics)])
    trainer.train()
    return trainer, train, sampler, metrics


if __name__ == "__main__":
    trainer, _, sampler, metrics = run()
    print(metrics.table(), end="")
    print(sampler.describe())
