"""Regression tests for every reproducer of issue 16 (bad input: crashes, a hang, wrong results
and errors that named the wrong function). Calls that used to crash run in a forked child."""

import math
import time

import numpy as np
import pytest
import torch

import rebalance
from fuzz_support import run_in_child

R = torch.ops.rebalance
RC = torch.classes.rebalance
BIG = 2**63 - 1


def expect_error(fn, error, *words):
    """fn() in a child raises `error` whose message contains every word (the function name
    first)."""
    out = run_in_child(fn)
    assert out[0] == "error", out
    assert out[1] == error, out
    for w in words:
        assert w in out[2], (w, out)
    return out[2]


def x_for(y, d=2):
    return torch.randn(len(y), d, generator=torch.Generator().manual_seed(0))


# ---- crashes: huge label values ----------------------------------------------------------

LABEL_OPS = {
    "sampling_strategy": lambda y: R.sampling_strategy(y, "over-sampling"),
    "random_under_sampler": lambda y: R.random_under_sampler(y),
    "random_over_sampler": lambda y: R.random_over_sampler(y),
    "tomek_links": lambda y: R.tomek_links(x_for(y), y),
    "edited_nearest_neighbours": lambda y: R.edited_nearest_neighbours(x_for(y), y),
    "near_miss": lambda y: R.near_miss(x_for(y), y),
    "smote": lambda y: R.smote(x_for(y), y),
    "adasyn": lambda y: R.adasyn(x_for(y), y),
    "smote_tomek": lambda y: R.smote_tomek(x_for(y), y),
    "cluster_centroids": lambda y: R.cluster_centroids(x_for(y), y),
    "count_clusters_per_class": lambda y: R.count_clusters_per_class(x_for(y), y, BIG),
}


@pytest.mark.parametrize("label", [BIG, 2**62, 2**40, 2**24])
@pytest.mark.parametrize("name", sorted(LABEL_OPS))
def test_huge_labels_are_rejected_by_name(name, label):
    y = torch.tensor([0, 0, 1, 1, 0, label])
    message = expect_error(lambda: LABEL_OPS[name](y), "IndexError" if name !=
                           "count_clusters_per_class" else "ValueError", name + ":")
    assert str(label) in message or str(BIG) in message


def test_explicit_sampler_counts_that_overflow_are_rejected():
    y = torch.tensor([0, 1, 2, 3])
    for counts in ([2**62] * 3 + [2**62 + 3], [2**62] * 4, [2**40] * 4):
        expect_error(lambda: RC.AdaptiveSampler(y, 4, "explicit",
                                                counts=torch.tensor(counts)).indices(),
                     "ValueError", "AdaptiveSampler:", "explicit counts")


# ---- the hang: num_classes is bounded and the work follows the rows -----------------------

def test_count_clusters_per_class_with_many_classes_is_fast():
    start = time.monotonic()
    out = R.count_clusters_per_class(torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), 10**7)
    assert time.monotonic() - start < 5
    assert out.shape == (10**7,) and out[:2].ge(1).all() and out[2:].sum() == 0
    expect_error(lambda: R.count_clusters_per_class(torch.randn(4, 2), torch.tensor([0, 1, 0, 1]),
                                                    2**40),
                 "ValueError", "count_clusters_per_class:", "num_classes", str(2**40))


# ---- wrong results ------------------------------------------------------------------------

def test_dynamic_weights_stay_finite_at_a_huge_power():
    w = RC.DynamicClassWeights(torch.ones(3), 1e6).update(torch.tensor([0.0, 0.5, 1.0]))
    assert torch.isfinite(w).all() and abs(float(w.sum()) - 3) < 1e-5
    assert w.tolist() == pytest.approx([3.0, 0.0, 0.0])


SIZES = [50, 20, 5]
LABELS = torch.cat([torch.full((n,), c) for c, n in enumerate(SIZES)])


def test_undersample_with_a_huge_ratio_draws_every_sample():
    s = RC.AdaptiveSampler(LABELS, 3, "undersample", ratio=1e300)
    assert s.draw_counts().tolist() == SIZES


def test_budgets_beyond_memory_are_rejected_at_construction():
    for budget in (BIG, 2**40):
        expect_error(lambda: RC.AdaptiveSampler(LABELS, 3, "instance", budget=budget),
                     "ValueError", "AdaptiveSampler:", "budget", str(budget))


def test_dynamic_ceiling_does_not_ignore_the_budget():
    s = RC.AdaptiveSampler(LABELS, 3, "dynamic", budget=300, ceiling=1e300, step=50.0)
    s.update(torch.tensor([0.9, 0.5, 0.0], dtype=torch.float64))
    assert int(s.draw_counts().sum()) == 300 and s.draw_counts().ge(0).all()
    assert len(s.indices()) == 300


def test_a_huge_world_size_gives_one_sample_per_rank():
    s = RC.AdaptiveSampler(LABELS, 3, "instance", rank=5, world_size=BIG)
    assert s.num_samples() == 1 and len(s.indices()) == 1
    s = RC.AdaptiveSampler(LABELS, 3, "instance", rank=5, world_size=BIG, drop_last=True)
    assert s.num_samples() == 0 and len(s.indices()) == 0


def brute_knn(x, k, exclude_self):
    d = ((x[:, None, :].double() - x[None, :, :].double()) ** 2).sum(2)
    if exclude_self:
        d.fill_diagonal_(math.inf)
    # (distance, index) order: a stable sort of each row by distance.
    return torch.sort(d, dim=1, stable=True).indices[:, :k]


def test_float32_knn_is_exact_at_the_ends_of_the_range():
    g = torch.Generator().manual_seed(3)
    tiny = (torch.rand(6, 3, generator=g) * 1e-25).float()
    assert R.knn(tiny, tiny, 1, False)[1].flatten().tolist() == list(range(6))
    big = torch.tensor([[2e19, 0], [2.1e19, 0], [1e19, 0], [0, 0]], dtype=torch.float32)
    assert R.knn(big, big, 1, True)[1].flatten().tolist() == [1, 0, 0, 2]
    for scale in (1e-30, 1e-22, 1e18, 1e30, 3e38):
        x = (torch.rand(40, 4, generator=g) * scale).float()
        d, i = R.knn(x, x, 3, True)
        assert torch.equal(i, brute_knn(x, 3, True)), scale
        assert torch.isfinite(d).all() or scale >= 1e30  # beyond float32: inf


def test_float64_knn_is_exact_beyond_float64_squares():
    g = torch.Generator().manual_seed(4)
    for scale in (1e-200, 1e200, 1e307):
        x = torch.rand(30, 3, generator=g, dtype=torch.float64) * scale
        i = R.knn(x, x, 2, True)[1]
        scaled = x / scale
        assert torch.equal(i, brute_knn(scaled, 2, True)), scale


def test_log_prior_of_tiny_counts_is_not_positive():
    out = R.log_prior_from_counts(torch.tensor([1e-13, 0.0], dtype=torch.float64))
    assert (out <= 0).all() and torch.isfinite(out).all()


def test_ratio_that_overflows_a_target_is_rejected():
    y = torch.tensor([0] * 10 + [1] * 3)
    expect_error(lambda: R.sampling_strategy(y, "under-sampling", ratio=1e-300),
                 "ValueError", "sampling_strategy:", "1e-300")
    expect_error(lambda: R.random_under_sampler(y, ratio=1e-300), "ValueError",
                 "random_under_sampler:")
    assert R.random_under_sampler(y, ratio=0.5).numel() == 6 + 3


def test_float16_smote_and_class_weights_stay_finite():
    x = torch.tensor([[-4e4, 4e4], [4e4, -4e4], [4e4, 4e4], [-4e4, -4e4], [0, 0]],
                     dtype=torch.float16)
    y = torch.tensor([0, 0, 0, 0, 1])
    x = torch.cat([x, torch.tensor([[1, 1], [2, 2], [3, 3]], dtype=torch.float16)])
    y = torch.cat([y, torch.tensor([1, 1, 1])])
    x = torch.cat([x, x[:4]])
    y = torch.cat([y, y[:4]])
    new, labels = R.smote(x, y, "auto", -1.0, torch.tensor([16, -1]), 2, 0)
    assert new.dtype == torch.float16 and torch.isfinite(new).all() and len(new) == 8
    assert new.abs().max() > 1e4  # interpolated between the extreme rows
    counts = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float16)
    cost = torch.full((3, 3), 6e4, dtype=torch.float16)
    expect_error(lambda: R.class_weights(counts, "cost", cost_matrix=cost, normalize=False),
                 "ValueError", "class_weights:", "overflow")
    w = R.class_weights(counts, "cost", cost_matrix=cost)
    assert torch.isfinite(w).all()


def test_metrics_counts_that_overflow_are_rejected():
    m = RC.ClassMetrics(2)
    m.set_state(torch.tensor([[2**61, 0], [0, 2**60]]))
    expect_error(lambda: m.merge_state(torch.tensor([[2**61, 0], [0, 0]])), "ValueError",
                 "ClassMetrics.merge_state:", "2^62")
    expect_error(lambda: m.set_state(torch.tensor([[BIG, 0], [0, BIG]])), "ValueError",
                 "ClassMetrics.set_state:")
    assert m.state().tolist() == [[2**61, 0], [0, 2**60]]


# ---- errors name the function the user called ---------------------------------------------

def test_composite_ops_name_themselves():
    x = torch.randn(12, 2)
    y = torch.tensor([0] * 8 + [1] * 4)
    expect_error(lambda: R.smote_tomek(x, y, k_neighbors=0), "ValueError", "smote_tomek:")
    expect_error(lambda: R.smote_tomek(x, y, memory_budget=0), "ValueError", "smote_tomek:")
    m = RC.ClassMetrics(3)
    expect_error(lambda: m.update(torch.randn(4, 3), torch.tensor([0, 1, 7, 2])), "IndexError",
                 "ClassMetrics.update:")
    expect_error(lambda: m.update(torch.randn(4, 5), torch.tensor([0, 1, 2, 2])), "ValueError",
                 "ClassMetrics.update:")
    expect_error(lambda: R.logit_adjusted_cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 9, 2]),
                                                        torch.zeros(3)),
                 "IndexError", "logit_adjusted_cross_entropy:")
    nan = x.clone()
    nan[0, 0] = math.nan
    expect_error(lambda: R.count_clusters_per_class(nan, y, 2), "ValueError",
                 "count_clusters_per_class:", "finite")
    expect_error(lambda: R.cluster_centroids(x, y, max_iter=0), "ValueError",
                 "cluster_centroids:", "max_iter")
    for name in ("tomek_links", "edited_nearest_neighbours", "near_miss", "smote", "adasyn",
                 "cluster_centroids"):
        op = getattr(R, name)
        expect_error(lambda: op(x, y, memory_budget=0), "ValueError", name + ":", "memory_budget")


def test_sampler_errors_do_not_leak_internal_helpers():
    msg = expect_error(lambda: RC.AdaptiveSampler(LABELS, 3, "instance", budget=2**62).indices(),
                       "ValueError", "AdaptiveSampler:")
    assert "largest_remainder" not in msg and "build_epoch_plan" not in msg


def test_allocation_failures_name_the_class():
    expect_error(lambda: RC.ClassMetrics(2**31), "ValueError", "ClassMetrics:", str(2**31))
    expect_error(lambda: RC.ClassMetrics(2**20), "ValueError", "ClassMetrics:", "bytes")
    expect_error(lambda: R.confusion_matrix(torch.tensor([0]), torch.tensor([0]), 2**31),
                 "ValueError", "confusion_matrix:", str(2**31))


def test_python_wrappers_raise_with_their_own_name():
    s = rebalance.AdaptiveSampler(LABELS, 3)
    with pytest.raises(ValueError, match="AdaptiveSampler.__setstate__: corrupted or incompatible"):
        s.__setstate__({})
    with pytest.raises(ValueError, match="make_scheduler: phase key 'lr_factor' must be float"):
        rebalance.make_scheduler([{"lr_factor": ""}])
    with pytest.raises(ValueError, match="make_scheduler: .*unknown policy"):
        rebalance.make_scheduler([{"sampling": "nope"}])
    with pytest.raises(TypeError, match="make_scheduler:"):
        rebalance.make_scheduler(3)
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="tomek_links: labels must be 1-D"):
        rebalance.resampling.tomek_links(X, np.zeros((4, 1)))
    with pytest.raises(TypeError, match="smote: sampling_strategy must be"):
        rebalance.resampling.smote(X, np.array([0, 0, 1, 1]), object())


@pytest.mark.parametrize("policy", ["instance", "dynamic", "power"])
def test_sampler_with_millions_of_empty_classes_is_fast(policy):
    # Found by the long fuzz: 2^24 classes with a few present took 20-55 s (a warning listing
    # every empty class, sorts and bisections over all classes).
    start = time.monotonic()
    s = RC.AdaptiveSampler(torch.tensor([0, 1, 1, 3] * 5), 2**24, policy)
    s.update(torch.rand(2**24, dtype=torch.float64))
    assert len(s.indices()) == s.num_samples() == 20
    assert time.monotonic() - start < 8
