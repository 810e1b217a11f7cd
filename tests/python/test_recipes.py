"""The Fashion-MNIST-LT recipes end to end at a small size: the C++ example's split equals the
Python recipes' split, a run killed and resumed from its checkpoint ends exactly like an
uninterrupted one, and a model + loss scripted by the Python recipe evaluate in C++ the same as
an independent scikit-learn evaluation in Python."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rebalance
import torch
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from fmnist_lt_common import (DATA_DIR, load_split, long_tail_counts,  # noqa: E402
                              long_tail_split)

BINARY = Path(os.environ["REBALANCE_BUILD_DIR"]) / "fmnist_lt"
SMALL = ["--per-class", "200", "--val-per-class", "20", "--epochs", "4", "--batch-size", "32",
         "--threads", "1"]

pytestmark = [
    pytest.mark.skipif(not (Path(DATA_DIR) / "train-images-idx3-ubyte.gz").exists(),
                       reason=f"Fashion-MNIST is not installed in {DATA_DIR} "
                              "(dataset-fashion-mnist; scripts/setup.sh installs it)"),
    pytest.mark.skipif(not BINARY.exists(), reason=f"{BINARY} is not built"),
]


def run(*args, timeout=300):
    done = subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def read(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The JSON of an uninterrupted run of the given arguments, run once per module."""
    cache = {}

    def result(args):
        key = tuple(args)
        if key not in cache:
            path = tmp_path_factory.mktemp("whole") / "whole.json"
            run(*args, "--json", str(path))
            cache[key] = read(path)
        return cache[key]
    return result


@pytest.mark.parametrize("seed, ratio, profile", [(0, 100, "exp"), (3, 10, "step"),
                                                  (1, 100, "balanced"), (2, 10, "balanced_step")])
def test_cpp_split_is_the_python_split(tmp_path, seed, ratio, profile):
    run("--dump-split", str(tmp_path / "split.json"), "--seed", str(seed), "--imbalance-ratio",
        str(ratio), "--profile", profile, "--steps", "1", "--per-class", "300", "--threads", "1")
    cpp = read(tmp_path / "split.json")
    _, labels = load_split(DATA_DIR, "train")
    counts = long_tail_counts(ratio, profile, per_class=300)
    train, val = long_tail_split(labels, counts, seed)
    assert cpp["train"] == train.tolist()
    assert cpp["val"] == val.tolist()
    assert torch.bincount(labels[train], minlength=10).tolist() == counts
    if profile.startswith("balanced"):  # as many images as the skewed profile, equally spread
        skewed = long_tail_counts(ratio, "exp" if profile == "balanced" else "step", per_class=300)
        assert sum(counts) == sum(skewed) and max(counts) - min(counts) <= 1


@pytest.mark.parametrize("strategy", ["logit_adjusted", "balanced_softmax", "ldam_drw"])
def test_literature_baselines_train_in_both_recipes(tmp_path, strategy):
    args = ["--strategy", strategy, *SMALL[:4], "--steps", "30", "--threads", "1"]
    run(*args, "--json", str(tmp_path / "cpp.json"), "--label", f"cpp_{strategy}")
    cpp = read(tmp_path / "cpp.json")
    assert cpp["strategy"] == f"cpp_{strategy}" and cpp["steps"] == 30
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_fmnist_lt.py"), *args, "--json",
         str(tmp_path / "py.json")], capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "plugin" / "python")))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert read(tmp_path / "py.json")["steps"] == 30


def test_python_recipe_losses_follow_the_strategy_table():
    import train_fmnist_lt
    counts = [400, 100, 20]
    log_prior = torch.log(torch.tensor(counts, dtype=torch.float64) / sum(counts)).float()
    g = torch.Generator().manual_seed(0)
    logits, target = torch.randn(16, 3, generator=g), torch.randint(0, 3, (16,), generator=g)
    ce = torch.nn.functional.cross_entropy
    # logit_adjusted: cross-entropy in training, logits - log prior at evaluation (post hoc).
    loss, offset = train_fmnist_lt.make_loss("logit_adjusted", counts, None)
    torch.testing.assert_close(loss(logits, target), ce(logits, target))
    torch.testing.assert_close(offset, -log_prior)
    # balanced_softmax: cross-entropy of logits + log prior, plain logits at evaluation.
    loss, offset = train_fmnist_lt.make_loss("balanced_softmax", counts, None)
    torch.testing.assert_close(loss(logits, target), ce(logits + log_prior, target))
    assert offset is None
    # ldam_drw: LDAM with the table's margin and scale, and the phase's class weight.
    kind, p = torch.classes.rebalance.PhaseScheduler.strategy_loss("ldam_drw")
    weight = torch.tensor([0.5, 1.0, 2.0])
    loss, offset = train_fmnist_lt.make_loss("ldam_drw", counts, weight)
    margins = p["ldam_max_margin"] * (torch.tensor(counts) / min(counts)) ** -0.25
    adjusted = p["ldam_scale"] * (logits - torch.nn.functional.one_hot(target, 3) * margins)
    assert kind == "ldam" and offset is None
    torch.testing.assert_close(loss(logits, target), ce(adjusted, target, weight=weight))


def test_dynamic_validates_four_times_per_pass_in_both_recipes(tmp_path):
    """Strategy::validations_per_epoch = 4: both recipes draw ceil(train size / 4) per epoch, so
    they validate (and the controller updates) four times per pass over the split."""
    args = ["--strategy", "dynamic", *SMALL[:4], "--steps", "40", "--batch-size", "32",
            "--threads", "1"]
    run(*args, "--json", str(tmp_path / "cpp.json"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_fmnist_lt.py"), *args, "--json",
         str(tmp_path / "py.json")], capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "plugin" / "python")))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    cpp, py = read(tmp_path / "cpp.json"), read(tmp_path / "py.json")
    per_epoch = -(-sum(cpp["train_counts"]) // 4)
    assert sum(cpp["draw_counts"][0]) == per_epoch
    assert cpp["draw_counts"][0] == py["draw_counts"][0]
    assert len(cpp["val_macro_f1"]) == len(py["val_macro_f1"]) >= 4


def test_cpp_recipe_dumps_the_tested_logits(tmp_path):
    """--dump-logits writes the tested (best) epoch's logits: a tuple that torch.load takes with
    weights_only=True, labels equal to the Python split's and the test set's, and scikit-learn's
    macro-F1 of the test argmax equal to the macro-F1 the run reports."""
    dump, out = tmp_path / "logits.pt", tmp_path / "run.json"
    run("--strategy", "drs", *SMALL, "--steps", "40", "--seed", "1", "--json", str(out),
        "--dump-logits", str(dump))
    val_logits, val_labels, test_logits, test_labels = torch.load(dump, weights_only=True)
    _, train_labels = load_split(DATA_DIR, "train")
    _, val = long_tail_split(train_labels, long_tail_counts(100, "exp", per_class=200), 1,
                             val_per_class=20)
    assert torch.equal(val_labels, train_labels[val])
    assert torch.equal(test_labels, load_split(DATA_DIR, "t10k")[1])
    assert val_logits.shape == (200, 10) and test_logits.shape == (10000, 10)
    f1 = f1_score(test_labels.numpy(), test_logits.argmax(1).numpy(), average="macro")
    assert f1 == pytest.approx(read(out)["test"]["macro_f1"], abs=1e-6)


@pytest.mark.parametrize("score", ["val_loss", "train_loss"])
def test_cpp_recipe_loss_signals_drive_the_dynamic_draws(tmp_path, score):
    """The loss signals feed the controller: the draws leave the log_prediction_ratio run's once
    the controller has updated, a rerun gives the same draws, and a score that is neither a
    report column nor a loss signal is refused before training, naming the flag."""
    args = ["--strategy", "dynamic", *SMALL[:4], "--steps", "40", "--batch-size", "32",
            "--threads", "1"]
    draws = {}
    for name, extra in (("default", []), ("a", ["--dynamic-score", score]),
                        ("b", ["--dynamic-score", score])):
        run(*args, *extra, "--json", str(tmp_path / f"{name}.json"))
        draws[name] = read(tmp_path / f"{name}.json")["draw_counts"]
    assert draws["a"] == draws["b"]
    assert draws["a"][0] == draws["default"][0]  # before the first update
    assert draws["a"] != draws["default"]
    done = subprocess.run([str(BINARY), "--dynamic-score", "val_los"], capture_output=True,
                          text=True)
    assert done.returncode != 0 and "fmnist_lt: --dynamic-score" in done.stderr
    assert "val_los" in done.stderr and "log_prediction_ratio" in done.stderr


def test_cpp_recipe_phases_flag_replaces_the_strategys_phases(tmp_path):
    out = run("--strategy", "ce", *SMALL[:4], "--steps", "20", "--threads", "1", "--phases",
              "name=warm;epochs=3|name=tail;sampling=class_balanced;lr_factor=0.1;epochs=1")
    assert "phase 1/2 'warm'" in out and "phase 2/2 'tail' (sampling class_balanced" in out
    done = subprocess.run([str(BINARY), "--phases", "name=a;epochs=two"], capture_output=True,
                          text=True)
    assert done.returncode != 0 and "fmnist_lt: --phases: " in done.stderr
    assert "epochs" in done.stderr and "two" in done.stderr


# Stopping right after a phase's last epoch (recommended: 3; dynamic, which validates four
# times per pass: 12) resumes into a phase the loop has not applied yet; mid-phase stops resume
# inside one (dynamic: 14, with the controller's multipliers part-way).
@pytest.mark.parametrize("strategy, stop_after", [
    ("recommended", 3), ("recommended", 2), ("dynamic", 12), ("dynamic", 14),
    ("undersample_then_finetune", 2)])
def test_stopped_and_resumed_run_ends_like_an_uninterrupted_one(tmp_path, uninterrupted,
                                                               strategy, stop_after):
    args = ["--strategy", strategy, *SMALL]
    whole = uninterrupted(args)
    checkpoint = str(tmp_path / "state.pt")
    out = run(*args, "--checkpoint", checkpoint, "--stop-after-epochs", str(stop_after))
    assert "RESULT" not in out and Path(checkpoint).exists()
    out = run(*args, "--checkpoint", checkpoint, "--resume", "1", "--json",
              str(tmp_path / "resumed.json"))
    assert "resumed from" in out
    resumed = read(tmp_path / "resumed.json")
    assert resumed["test"] == whole["test"]
    assert resumed["val_macro_f1"] == whole["val_macro_f1"]
    assert resumed["draw_counts"] == whole["draw_counts"]
    assert resumed["best_epoch"] == whole["best_epoch"]


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path, uninterrupted):
    args = ["--strategy", "dynamic", *SMALL]
    whole = uninterrupted(args)
    checkpoint = tmp_path / "state.pt"
    process = subprocess.Popen([str(BINARY), *args, "--checkpoint", str(checkpoint)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # wherever it is: mid-epoch or writing a checkpoint
    process.wait(timeout=30)
    assert checkpoint.exists()
    run(*args, "--checkpoint", str(checkpoint), "--resume", "1", "--json",
        str(tmp_path / "resumed.json"))
    resumed = read(tmp_path / "resumed.json")
    assert resumed["test"] == whole["test"]
    assert resumed["val_macro_f1"] == whole["val_macro_f1"]


def test_resume_without_checkpoint_is_rejected():
    done = subprocess.run([str(BINARY), "--resume", "1"], capture_output=True, text=True)
    assert done.returncode != 0 and "--resume needs --checkpoint" in done.stderr


@pytest.mark.parametrize("strategy", ["ce", "cb_focal", "undersample_then_finetune",
                                      "recommended", "dynamic"])
def test_python_recipe_phases_split_the_step_budget(strategy):
    import train_fmnist_lt
    phases, _ = train_fmnist_lt.make_phases(strategy, 8, 1552)
    assert sum(p["steps"] for p in phases) == 1552
    assert all(p["epochs"] == 0 and p["sampling_ratio"] >= 1 for p in phases)
    scheduler = rebalance.make_scheduler(phases)
    assert scheduler.num_phases() == len(phases)


def test_python_recipe_scripted_model_and_loss_evaluate_the_same_in_cpp(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_fmnist_lt.py"), "--strategy",
         "recommended", *SMALL, "--save-dir", str(tmp_path), "--json", str(tmp_path / "py.json")],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "plugin" / "python")))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    python_loss = float(done.stdout.split("test loss ")[1].split()[0])
    python = read(tmp_path / "py.json")
    n_train = sum(long_tail_counts(100, "exp", per_class=200))
    assert python["steps"] == 4 * ((n_train + 31) // 32)  # the same budget as fmnist_lt

    out = run("--eval-torchscript", str(tmp_path / "model.pt"), "--torchscript-loss",
              str(tmp_path / "loss.pt"), "--json", str(tmp_path / "cpp.json"))
    cpp = read(tmp_path / "cpp.json")
    assert cpp["test"]["macro_f1"] == pytest.approx(python["test"]["macro_f1"], abs=1e-6)
    assert cpp["test"]["f1"] == pytest.approx(python["test"]["f1"], abs=1e-6)
    assert cpp["test_loss"] == pytest.approx(python_loss, rel=1e-5)
    assert "TORCHSCRIPT_LOSS" in out

    model = torch.jit.load(str(tmp_path / "model.pt"))
    x, y = load_split(DATA_DIR, "t10k")
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    assert cpp["test"]["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-6)
    loss = torch.jit.load(str(tmp_path / "loss.pt"))
    weight = loss.class_weight
    with torch.no_grad():
        logits = torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)])
    logp = torch.log_softmax(logits.double(), 1).gather(1, y[:, None]).squeeze(1)
    w = weight.double()[y]
    per_sample = -(w * (1 - logp.exp()) * logp)  # focal, gamma 1, class-weighted
    batch_means = [per_sample[i:i + 1000].sum() / w[i:i + 1000].sum()
                   for i in range(0, len(y), 1000)]
    reference = float(torch.stack(batch_means).mean())  # both sides average 1000-image batches
    assert cpp["test_loss"] == pytest.approx(reference, rel=1e-4)


def test_peers_take_the_validation_size(tmp_path):
    """peers_fmnist_lt.py --val-per-class draws the same split as fmnist_lt's flag: the peer
    trains on the profile's counts, and a size below 1 is refused naming the flag."""
    script = str(ROOT / "scripts" / "peers_fmnist_lt.py")
    done = subprocess.run([sys.executable, script, "--strategy", "ce", "--epochs", "1",
                           "--val-per-class", "30", "--json", str(tmp_path / "peer.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert read(tmp_path / "peer.json")["train_counts"] == long_tail_counts(100, "exp")
    done = subprocess.run([sys.executable, script, "--strategy", "ce", "--val-per-class", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--val-per-class must be >= 1, got 0" in done.stderr
