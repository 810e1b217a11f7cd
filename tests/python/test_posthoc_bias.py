"""scripts/posthoc_bias.py: the post-hoc logit biases reach the fixed points they are defined by
(checked with torch.softmax and bincount, not the iterations), and the script reads the tuples
that fmnist_lt --dump-logits writes."""

import sys
from pathlib import Path

import pytest
import torch
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import posthoc_bias  # noqa: E402


def skewed_logits(n_per_class, num_classes=5, seed=0):
    """Logits of a classifier biased toward class 0: class means plus noise plus a skew."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_classes).repeat_interleave(n_per_class)
    logits = 2.0 * torch.nn.functional.one_hot(labels, num_classes).double()
    logits += torch.randn(len(labels), num_classes, generator=g, dtype=torch.float64)
    logits += torch.linspace(1.5, 0, num_classes, dtype=torch.float64)
    return logits, labels


def test_soft_bias_matches_the_mean_posterior_to_the_label_shares():
    logits, labels = skewed_logits(200)
    labels = labels[100:]  # shares 100/200/200/200/200
    logits = logits[100:]
    b = posthoc_bias.soft_bias(logits, labels, 5)
    shares = torch.bincount(labels, minlength=5).double() / len(labels)
    assert torch.allclose(torch.softmax(logits + b, dim=1).mean(0), shares, atol=1e-6)
    assert abs(float(b.sum())) < 1e-9
    before = torch.softmax(logits, dim=1).mean(0)
    assert (before - shares).abs().max() > 0.05  # the skew was there to remove


def test_rate_bias_predicts_each_class_about_as_often_as_it_occurs():
    logits, labels = skewed_logits(400)
    b = posthoc_bias.rate_bias(logits, labels, 5)
    support = torch.bincount(labels, minlength=5)
    before = torch.bincount(logits.argmax(1), minlength=5)
    after = torch.bincount((logits + b).argmax(1), minlength=5)
    assert (before - support).abs().max() > 100
    assert (after - support).abs().max() <= 0.05 * 400


def test_script_reads_a_dump_and_scores_with_scikit_learn(tmp_path, capsys):
    val_logits, val_labels = skewed_logits(60, seed=1)
    test_logits, test_labels = skewed_logits(300, seed=2)
    for seed in (0, 1):
        torch.save((val_logits.float(), val_labels, test_logits.float(), test_labels),
                   tmp_path / f"drs_exp_s{seed}.pt")
    row = posthoc_bias.measure(tmp_path / "drs_exp_s0.pt", show_test=True)
    plain = f1_score(test_labels.numpy(), test_logits.float().argmax(1).numpy(), average="macro")
    assert row["test"] == pytest.approx(plain)
    b = posthoc_bias.soft_bias(val_logits.float(), val_labels, 5)
    shifted = (test_logits.float().double() + b).argmax(1).numpy()
    assert row["test_soft"] == pytest.approx(f1_score(test_labels.numpy(), shifted,
                                                      average="macro"))
    assert row["test_soft"] > row["test"]  # the skew costs macro-F1; the bias gives it back
    posthoc_bias.main([str(p) for p in sorted(tmp_path.glob("*.pt"))])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("drs_exp (n=2)") and "cf_soft" in lines[0]
