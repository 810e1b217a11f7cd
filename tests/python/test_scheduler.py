"""torch.classes.rebalance.PhaseScheduler: presets, phase switches, best epoch, alarms, state."""

import copy
import io
import warnings

import pytest
import torch

PhaseScheduler = torch.classes.rebalance.PhaseScheduler


def run(scheduler, f1_per_epoch, recall_per_epoch=None):
    outcomes = []
    for i, f1 in enumerate(f1_per_epoch):
        recall = torch.full((3,), 0.5) if recall_per_epoch is None else recall_per_epoch[i]
        for _ in range(10):
            scheduler.on_step()
        outcomes.append((scheduler.phase_name(), scheduler.end_epoch(recall, f1)))
    return outcomes


def test_undersample_then_finetune_switches_after_three_quarters():
    s = PhaseScheduler("undersample_then_finetune", 8, 3.0)
    assert s.num_phases() == 2
    assert (s.phase_name(), s.sampling(), s.sampling_ratio(), s.lr_factor()) == (
        "undersample", "undersample", 3.0, 1.0)
    outcomes = run(s, [0.1 * i for i in range(1, 9)])
    phases = [name for name, _ in outcomes]
    assert phases == ["undersample"] * 6 + ["finetune"] * 2
    changed = [o[0] for _, o in outcomes]
    assert changed == [False] * 5 + [True] + [False, True]
    assert s.finished() and outcomes[-1][1][2]
    assert s.phase_name() == "finetune" and s.sampling() == "instance" and s.lr_factor() == 0.1
    assert s.step() == 80 and s.epoch() == 8


@pytest.mark.parametrize("preset, sampling, weighting, head_only", [
    ("drw", "instance", "effective_number", False),
    ("drs", "class_balanced", "none", False),
    ("crt", "class_balanced", "none", True),
])
def test_deferred_presets_change_one_thing_in_the_last_quarter(preset, sampling, weighting,
                                                               head_only):
    s = PhaseScheduler(preset, 4)
    assert (s.sampling(), s.weighting(), s.head_only()) == ("instance", "none", False)
    run(s, [0.1, 0.2, 0.3])
    assert (s.sampling(), s.weighting(), s.head_only(), s.lr_factor()) == (
        sampling, weighting, head_only, 0.1)


def test_dynamic_preset_starts_on_original_data():
    s = PhaseScheduler("dynamic", 8)
    assert s.sampling() == "instance"
    run(s, [0.3, 0.4, 0.5, 0.5, 0.5])
    assert s.sampling() == "instance"
    run(s, [0.6])
    assert (s.sampling(), s.weighting(), s.lr_factor()) == ("dynamic", "none", 0.1)
    from rebalance.schedule import parse_phase
    assert [parse_phase(p)["epochs"] for p in s.phases()] == [6, 2]
    assert [parse_phase(p)["epochs"] for p in PhaseScheduler("dynamic", 3).phases()] == [2, 1]
    assert [parse_phase(p)["epochs"] for p in PhaseScheduler("dynamic", 2).phases()] == [1, 1]


def test_dynamic_strategy_sets_the_controller():
    score, options = torch.classes.rebalance.PhaseScheduler.strategy_sampler("dynamic")
    assert score == "log_prediction_ratio"
    assert (options["base"], options["integral"], options["step"]) == (0.0, 1.0, 1.0)
    assert (options["floor"], options["ceiling"]) == (0.25, 2.0)
    assert options["validations_per_epoch"] == 4.0
    assert torch.classes.rebalance.PhaseScheduler.strategy_epoch_budget("dynamic", 12406) == 3102
    assert torch.classes.rebalance.PhaseScheduler.strategy_epoch_budget("drs", 12406) == 12406
    with pytest.raises(ValueError, match="set_epoch_budget: train_size must be >= 0, got -1"):
        torch.classes.rebalance.PhaseScheduler.strategy_epoch_budget("dynamic", -1)
    score, options = torch.classes.rebalance.PhaseScheduler.strategy_sampler("drs")
    assert score == "f1" and options["integral"] == 0.0 and options["base"] == 1.0
    assert options["validations_per_epoch"] == 1.0


def test_best_epoch_and_recall_alarm():
    s = PhaseScheduler("standard", 5)
    recalls = [torch.tensor([0.9, 0.5, 0.6]), torch.tensor([0.95, 0.6, 0.6]),
               torch.tensor([0.7, 0.6, 0.65]), torch.tensor([0.9, 0.3, 0.7])]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcomes = run(s, [0.5, 0.7, 0.6, 0.65], recalls)
    best = [o[1] for _, o in outcomes]
    assert best == [True, True, False, False]
    assert s.best_epoch() == 2 and s.best_macro_f1() == pytest.approx(0.7)
    alarms = [list(o[3]) for _, o in outcomes]
    assert alarms == [[], [], [0], [1]]  # 0.95 -> 0.7 and 0.6 -> 0.3 drop by more than 0.2
    assert sum("below its best" in str(w.message) for w in caught) == 2


def test_state_restores_exactly_mid_schedule():
    s = PhaseScheduler("undersample_then_finetune", 8)
    run(s, [0.2, 0.4, 0.3, 0.5, 0.45, 0.6])
    restored = copy.deepcopy(s)
    rest = [0.55, 0.7]
    assert run(restored, rest) == run(s, rest)
    assert restored.describe() == s.describe()
    assert restored.best_epoch() == s.best_epoch() == 8


def test_torchscript_module_holding_a_scheduler_saves_and_loads():
    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scheduler = PhaseScheduler("drw", 4)

        def forward(self, recall: torch.Tensor, f1: float) -> str:
            self.scheduler.end_epoch(recall, f1)
            return self.scheduler.weighting()

    module = torch.jit.script(Holder())
    for f1 in (0.1, 0.2, 0.3):
        module(torch.full((2,), 0.5), f1)
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    assert loaded.scheduler.phase_name() == "reweight"
    assert loaded.scheduler.epoch() == 3


@pytest.mark.parametrize("call, message", [
    (lambda: PhaseScheduler("warmup", 8), "unknown preset"),
    (lambda: PhaseScheduler("drw", 1), "total_epochs >= 2"),
    (lambda: PhaseScheduler("undersample_then_finetune", 8, 0.5), "sampling_ratio"),
    (lambda: PhaseScheduler("drw", 4).end_epoch(torch.tensor([0.5, float("nan")]), 0.5),
     "recall"),
    (lambda: PhaseScheduler("drw", 4).end_epoch(torch.tensor([0.5]), 1.5), "macro_f1"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_recommended_preset_rebalances_the_last_quarter():
    s = PhaseScheduler("recommended", 8)
    assert (s.sampling(), s.weighting(), s.lr_factor()) == ("instance", "none", 1.0)
    run(s, [0.1 * i for i in range(1, 7)])
    assert (s.phase_name(), s.sampling(), s.weighting(), s.lr_factor(), s.head_only()) == (
        "rebalance", "power", "effective_number", 0.1, False)


def test_scheduler_from_phase_dicts_follows_them():
    import rebalance
    phases = [{"name": "warm", "steps": 25},
              {"name": "tail", "sampling": "undersample", "sampling_ratio": 2.5,
               "weighting": "inverse", "lr_factor": 0.3, "head_only": True, "epochs": 2}]
    s = rebalance.make_scheduler(phases, recall_alarm=0.5)
    assert s.num_phases() == 2 and s.phase_name() == "warm"
    assert [s.on_step() for _ in range(25)] == [False] * 24 + [True]
    s.end_epoch(torch.full((2,), 0.5), 0.3)
    assert (s.phase_name(), s.sampling(), s.sampling_ratio(), s.weighting(), s.lr_factor(),
            s.head_only()) == ("tail", "undersample", 2.5, "inverse", 0.3, True)
    assert rebalance.schedule.parse_phase(s.phases()[1])["sampling_ratio"] == 2.5
    restored = copy.deepcopy(s)
    assert restored.phases() == s.phases() and restored.describe() == s.describe()


def test_preset_phases_round_trip_through_dicts():
    import rebalance
    phases = rebalance.preset_phases("undersample_then_finetune", 8, 3.0)
    assert [(p["name"], p["sampling"], p["sampling_ratio"], p["lr_factor"], p["epochs"])
            for p in phases] == [("undersample", "undersample", 3.0, 1.0, 6),
                                 ("finetune", "instance", 1.0, 0.1, 2)]
    s = rebalance.make_scheduler(phases)
    assert s.phases() == PhaseScheduler("undersample_then_finetune", 8, 3.0).phases()


@pytest.mark.parametrize("phase, error, message", [
    ({"name": "a", "speed": 2}, ValueError, "unknown key 'speed'"),
    ({"name": "a;b"}, ValueError, "must not contain"),
    ({"sampling": "sometimes"}, ValueError, "sometimes"),
])
def test_bad_phase_dicts(phase, error, message):
    import rebalance
    with pytest.raises(error, match=message):
        rebalance.make_scheduler([phase])
