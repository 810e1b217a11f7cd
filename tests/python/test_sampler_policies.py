"""AdaptiveSampler draw counts against numpy formulas and imbalanced-learn."""

import numpy as np
import pytest
import torch

import rebalance

C = 7


def long_tailed_labels(seed=0, num_classes=C, head=400):
    rng = np.random.default_rng(seed)
    sizes = [max(3, int(head * 0.55 ** c)) + int(rng.integers(0, 5)) for c in range(num_classes)]
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    return torch.from_numpy(rng.permutation(labels)), np.array(sizes, dtype=np.int64)


def hamilton(weights, total):
    """Largest remainder apportionment; ties go to the smaller class index."""
    weights = np.asarray(weights, dtype=np.float64)
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(np.int64)
    frac = np.where(weights > 0, quota - counts, -1.0)
    order = sorted(range(len(weights)), key=lambda c: (-frac[c], c))
    for c in order[: total - counts.sum()]:
        counts[c] += 1
    return counts


def counts_of(policy, labels, **kw):
    return rebalance.AdaptiveSampler(labels, C, policy, **kw).draw_counts().numpy()


def test_instance_class_balanced_power():
    labels, n = long_tailed_labels()
    np.testing.assert_array_equal(counts_of("instance", labels), n)
    np.testing.assert_array_equal(counts_of("instance", labels, budget=1000), hamilton(n, 1000))
    np.testing.assert_array_equal(counts_of("class_balanced", labels),
                                  hamilton(np.ones(C), n.sum()))
    np.testing.assert_array_equal(counts_of("class_balanced", labels, budget=700),
                                  np.full(C, 100))
    for q in (0.0, 0.5, 1.5):
        np.testing.assert_array_equal(counts_of("power", labels, q=q, budget=999),
                                      hamilton(n.astype(np.float64) ** q, 999))


@pytest.mark.parametrize("epoch", [0, 3, 10, 25])
def test_progressive(epoch):
    labels, n = long_tailed_labels(1)
    sampler = rebalance.AdaptiveSampler(labels, C, "progressive", total_epochs=10)
    sampler.set_epoch(epoch)
    t = min(epoch, 10) / 10
    p = (1 - t) * n / n.sum() + t / C
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), hamilton(p, n.sum()))


def test_undersample_and_oversample_match_imblearn():
    imblearn = pytest.importorskip("imblearn.under_sampling")
    over = pytest.importorskip("imblearn.over_sampling")
    labels, n = long_tailed_labels(2)
    x = np.zeros((len(labels), 1))
    _, y_under = imblearn.RandomUnderSampler(random_state=0).fit_resample(x, labels.numpy())
    np.testing.assert_array_equal(counts_of("undersample", labels), np.bincount(y_under))
    _, y_over = over.RandomOverSampler(random_state=0).fit_resample(x, labels.numpy())
    np.testing.assert_array_equal(counts_of("oversample", labels), np.bincount(y_over))
    for ratio in (2.0, 3.7):
        np.testing.assert_array_equal(counts_of("undersample", labels, ratio=ratio),
                                      np.minimum(n, int(np.floor(ratio * n.min()))))


def test_explicit_follows_imblearn_dict_semantics():
    over = pytest.importorskip("imblearn.over_sampling")
    labels, n = long_tailed_labels(3)
    strategy = {3: 200, 5: 90, 6: int(n[6]) + 1}
    x = np.zeros((len(labels), 1))
    _, y = over.RandomOverSampler(sampling_strategy=strategy, random_state=0).fit_resample(
        x, labels.numpy())
    np.testing.assert_array_equal(counts_of("explicit", labels, counts=strategy), np.bincount(y))
    mixed = {0: 5, 4: 40}
    expected = n.copy()
    expected[0], expected[4] = 5, 40
    np.testing.assert_array_equal(counts_of("explicit", labels, counts=mixed), expected)


def test_f1_adaptive():
    labels, n = long_tailed_labels(4)
    sampler = rebalance.AdaptiveSampler(labels, C, "f1_adaptive", budget=1234)
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), hamilton(n, 1234))
    f1 = np.array([0.95, 0.9, 0.7, 0.55, 0.3, 0.2, 0.1])
    sampler.update(f1)
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), hamilton(1 - f1, 1234))
    sampler.update(np.ones(C))
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), hamilton(n, 1234))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        sampler.update(np.full(C, 1.5))


def bounded_quota(w, lo, hi, total):
    """Exact λ with Σ clamp(λ w_c, lo_c, hi_c) = total, from the breakpoints of the sum."""
    filled = lambda lam: np.clip(lam * w, lo, hi).sum()  # noqa: E731
    points = np.unique(np.concatenate([[0.0], lo / w, hi / w]))
    k = np.searchsorted([filled(p) for p in points], total)
    a, b = points[k - 1], points[k]
    lam = a + (total - filled(a)) * (b - a) / (filled(b) - filled(a))
    return np.clip(lam * w, lo, hi)


def check_bounded(counts, n, m, lo_mult, hi_mult, budget):
    lower, upper = np.ceil(lo_mult * n), np.floor(hi_mult * n)
    assert counts.sum() == budget
    assert np.all(counts >= lower) and np.all(counts <= upper)
    # The draws are integers within integer bounds: the exact quotas of that problem.
    quota = bounded_quota(n * m, lower, upper, budget)
    assert np.all(np.abs(counts - quota) < 1), (counts, quota)


@pytest.mark.parametrize("budget_scale", [1.0, 2.0, 0.6])
def test_dynamic_multiplier_recursion(budget_scale):
    labels, n = long_tailed_labels(5)
    step, beta, lo, hi = 2.0, 0.3, 0.5, 3.0
    budget = int(budget_scale * n.sum())
    sampler = rebalance.AdaptiveSampler(labels, C, "dynamic", step=step, smoothing=beta,
                                        floor=lo, ceiling=hi, budget=budget)
    if budget == n.sum():
        np.testing.assert_array_equal(sampler.draw_counts().numpy(), n)
    rng = np.random.default_rng(0)
    m = np.ones(C)
    for _ in range(4):
        scores = rng.uniform(0, 1, C)
        sampler.update(scores)
        m = np.clip(beta * m + (1 - beta) * np.exp(step * (scores.mean() - scores)), lo, hi)
        np.testing.assert_allclose(sampler.multipliers().numpy(), m, rtol=1e-12)
        counts = sampler.draw_counts().numpy()
        # The bounds are relative to the base at the epoch's budget: b_c = N_c B / sum N.
        check_bounded(counts, n * budget / n.sum(), m, lo, hi, budget)
        if budget_scale == 1.0 and np.all((counts > lo * n + 1) & (counts < hi * n - 1)):
            np.testing.assert_array_equal(counts, hamilton(n * m, budget))


@pytest.mark.parametrize("base", [1.0, 0.5, 0.0])
def test_dynamic_integral_controller_over_a_base(base):
    """integral=True: log m_c += step (mean - s_c), clamped to [log floor, log ceiling], over
    the base b_c = N_c^base * sum N / sum N^base; the draws stay within [floor, ceiling] * b_c."""
    labels, n = long_tailed_labels(7)
    step, lo, hi = 1.5, 0.2, 6.0
    budget = int(n.sum())
    sampler = rebalance.AdaptiveSampler(labels, C, "dynamic", step=step, floor=lo, ceiling=hi,
                                        base=base, integral=True, budget=budget)
    b = n ** base * n.sum() / (n ** base).sum()
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), hamilton(b, budget))
    rng = np.random.default_rng(1)
    log_m = np.zeros(C)
    # A class that stays below the mean keeps gaining until the ceiling: no fixed point short
    # of it (the smoothed policy stops at exp(step (mean - s_c))).
    scores = rng.uniform(0, 1, C)
    for _ in range(6):
        sampler.update(scores)
        log_m = np.clip(log_m + step * (scores.mean() - scores), np.log(lo), np.log(hi))
        np.testing.assert_allclose(sampler.multipliers().numpy(), np.exp(log_m), rtol=1e-12)
        check_bounded(sampler.draw_counts().numpy(), b, np.exp(log_m), lo, hi, budget)
    assert sampler.multipliers().numpy()[scores.argmin()] == pytest.approx(hi)


def test_dynamic_base_outside_zero_one_is_refused():
    labels, _ = long_tailed_labels(2)
    with pytest.raises(ValueError, match=r"AdaptiveSampler: base must be in \[0, 1\], got 1.5"):
        rebalance.AdaptiveSampler(labels, C, "dynamic", base=1.5)


def test_dynamic_infeasible_floor_is_clamped_to_the_bounds():
    """A floor above 1 asks for more than the budget: every class gets its floor."""
    labels, n = long_tailed_labels(6)
    sampler = rebalance.AdaptiveSampler(labels, C, "dynamic", floor=2.0, ceiling=3.0,
                                        budget=int(n.sum()))
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), 2 * n)


@pytest.mark.parametrize("budget_fraction", [0.25, 0.1])
def test_dynamic_short_epochs_keep_the_controllers_range(budget_fraction):
    """With a budget below floor * sum N the bounds follow the budget (b_c = N_c^p B / sum N^p):
    the multipliers still move the draws instead of pinning every class at floor * N_c^p."""
    labels, n = long_tailed_labels(8)
    budget = int(budget_fraction * n.sum())
    sampler = rebalance.AdaptiveSampler(labels, C, "dynamic", base=0.0, integral=True, step=1.0,
                                        floor=0.25, ceiling=4.0, budget=budget)
    b = np.full(C, budget / C)
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), hamilton(b, budget))
    scores = np.linspace(0.0, 1.0, C)
    sampler.update(scores)
    m = np.exp(np.clip(scores.mean() - scores, np.log(0.25), np.log(4.0)))
    counts = sampler.draw_counts().numpy()
    check_bounded(counts, b, m, 0.25, 4.0, budget)
    assert counts[0] > counts[-1] * 2


def test_empty_class_is_skipped_with_a_warning():
    labels = torch.tensor([0, 0, 0, 2, 2, 1, 0])
    with pytest.warns(UserWarning, match="classes \\[3\\] have no samples"):
        sampler = rebalance.AdaptiveSampler(labels, 4, "class_balanced", budget=9)
    np.testing.assert_array_equal(sampler.draw_counts().numpy(), [3, 3, 3, 0])
    assert np.bincount(labels[sampler.indices()].numpy(), minlength=4).tolist() == [3, 3, 3, 0]
