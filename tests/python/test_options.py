"""Options declared once in C++: the field lists drive the torch.classes keywords and defaults,
the Python keywords, signatures and docstrings, repr, save/load and pickling. ClassMetrics'
``zero_division`` (added as one line of its field list) is followed through every one of them,
its numbers against sklearn."""
import copy
import inspect
import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import precision_recall_fscore_support

import rebalance

RC = torch.classes.rebalance


def test_python_keywords_and_defaults_come_from_cpp():
    names = [f.name for f in rebalance.DynamicClassWeights.options()]
    assert names == ["power", "eps", "momentum", "min_weight", "max_weight", "warmup_epochs"]
    defaults = {f.name: f.default for f in rebalance.DynamicClassWeights.options()}
    assert defaults["power"] == 1.0 and defaults["eps"] == 0.01 and math.isinf(
        defaults["max_weight"]) and defaults["warmup_epochs"] == 0
    signature = inspect.signature(rebalance.DynamicClassWeights)
    assert signature.parameters["momentum"].default == 0.0
    assert signature.parameters["momentum"].annotation is float
    assert "warmup_epochs (int) [0]" in rebalance.DynamicClassWeights.__doc__
    sampler = inspect.signature(rebalance.AdaptiveSampler)
    assert sampler.parameters["ceiling"].default == 4.0
    assert sampler.parameters["budget"].default is None
    assert [f.name for f in rebalance.schedule.PHASE_FIELDS][:3] == [
        "name", "sampling", "sampling_ratio"]


def test_keyword_errors_name_the_class_and_the_field():
    with pytest.raises(TypeError, match="DynamicClassWeights: unexpected keyword argument 'powr'"):
        rebalance.DynamicClassWeights(torch.ones(3), powr=2.0)
    with pytest.raises(TypeError, match="DynamicClassWeights: momentum must be float"):
        rebalance.DynamicClassWeights(torch.ones(3), momentum="high")
    with pytest.raises(TypeError, match="AdaptiveSampler: unexpected keyword argument 'world_size'"):
        rebalance.AdaptiveSampler(torch.tensor([0, 1]), world_size=2)
    with pytest.raises(ValueError, match="make_scheduler: unknown key 'epoch'"):
        rebalance.make_scheduler([{"epoch": 3}])


def test_repr_shows_the_state_and_every_option():
    w = rebalance.DynamicClassWeights(torch.ones(4), power=2.0, warmup_epochs=1)
    assert repr(w) == ("DynamicClassWeights(C=4, epoch=0, power=2.0, eps=0.01, momentum=0.0, "
                       "min_weight=0.0, max_weight=inf, warmup_epochs=1)")
    s = rebalance.AdaptiveSampler(torch.tensor([0, 1, 1]), policy="dynamic", seed=3)
    assert repr(s).startswith("AdaptiveSampler(N=3, C=2, epoch=0, policy='dynamic', budget=None")
    assert "seed=3" in repr(s) and "counts=[]" in repr(s)
    p = rebalance.PhaseScheduler("drw", 4)
    assert repr(p).startswith("PhaseScheduler(phase 1/2 'instance', epoch 0")
    assert "PhaseOptions(name='reweight', sampling='instance'" in repr(p)


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_zero_division_matches_sklearn(zero_division):
    y = np.array([0, 0, 1, 1, 2])
    p = np.array([0, 1, 1, 1, 1])  # class 2 is never predicted, class 3 absent
    m = rebalance.ClassMetrics(4, zero_division=zero_division)
    m.update(torch.from_numpy(p), torch.from_numpy(y))
    report = m.report()
    prec, rec, f1, _ = precision_recall_fscore_support(
        y, p, labels=np.arange(4), zero_division=zero_division)
    np.testing.assert_allclose(report["precision"].numpy(), prec, rtol=1e-12)
    np.testing.assert_allclose(report["recall"].numpy(), rec, rtol=1e-12)
    np.testing.assert_allclose(report["f1"].numpy(), f1, rtol=1e-12)


def test_a_new_field_round_trips_everywhere():
    # torch.classes keyword (default from C++), Python keyword, repr
    assert RC.ClassMetrics(3).report()["precision"].tolist() == [0.0, 0.0, 0.0]
    assert RC.ClassMetrics(3, zero_division=1.0).report()["precision"].tolist() == [1.0] * 3
    m = rebalance.ClassMetrics(3, 7, zero_division=0.5)
    assert repr(m) == "ClassMetrics(C=3, samples=0, ignore_index=7, zero_division=0.5)"
    m.update(torch.tensor([0, 0]), torch.tensor([0, 1]))
    # save/load through the state bytes, pickle and deepcopy
    restored = rebalance.ClassMetrics(3)
    restored.load_state_bytes(m.state_bytes())
    for clone in (restored, pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert repr(clone) == repr(m)
        assert clone.report()["recall"].tolist() == [1.0, 0.0, 0.5]
    with pytest.raises(ValueError, match=r"ClassMetrics: zero_division must be in \[0, 1\]"):
        rebalance.ClassMetrics(3, zero_division=2.0)


def test_python_classes_wrap_script_objects_uniformly():
    for obj, cls in ((rebalance.ClassMetrics(2), "ClassMetrics"),
                     (rebalance.DynamicClassWeights(torch.ones(2)), "DynamicClassWeights"),
                     (rebalance.PhaseScheduler("standard", 2), "PhaseScheduler")):
        assert isinstance(obj.script_object, torch.ScriptObject)
        assert obj.script_object._type().name() == cls
        assert repr(obj) == obj.script_object.__repr__()
    scheduler = rebalance.make_scheduler([{"name": "a", "epochs": 2}])
    assert isinstance(scheduler, rebalance.PhaseScheduler) and scheduler.phase_name() == "a"


def test_strategy_table_is_read_from_cpp():
    names = RC.PhaseScheduler.strategy_names()
    assert "ce" in names and "recommended" in names
    specs, gamma = RC.PhaseScheduler.strategy("recommended", 8, 0)
    assert gamma == 1.0
    assert [rebalance.schedule.parse_phase(s) for s in specs] == rebalance.preset_phases(
        "recommended", 8)
    specs, gamma = RC.PhaseScheduler.strategy("cb_focal", 8, 100)
    phase = rebalance.schedule.parse_phase(specs[0])
    assert (gamma, phase["weighting"], phase["steps"], phase["epochs"]) == (
        1.0, "effective_number", 100, 0)
    with pytest.raises(ValueError, match="unknown strategy 'bogus'"):
        RC.PhaseScheduler.strategy("bogus", 8, 0)
    kind, params = RC.PhaseScheduler.strategy_loss("ldam_drw")
    assert kind == "ldam" and params["ldam_max_margin"] == 0.5 and params["ldam_scale"] > 0
    kind, params = RC.PhaseScheduler.strategy_loss("logit_adjusted")
    assert (kind, params["gamma"], params["posthoc_tau"]) == ("softmax_focal", 0.0, 1.0)
    kind, params = RC.PhaseScheduler.strategy_loss("balanced_softmax")
    assert (kind, params["tau"], params["posthoc_tau"]) == ("logit_adjusted", 1.0, 0.0)
    assert RC.PhaseScheduler.strategy_loss("recommended")[1]["gamma"] == 1.0
