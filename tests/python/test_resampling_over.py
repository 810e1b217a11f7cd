"""SMOTE, ADASYN, SMOTE+Tomek and random over-sampling against imbalanced-learn 0.10: the same
per-class counts, and every SMOTE row on a segment to one of the k nearest same-class rows."""

import numpy as np
import pytest
import torch
from imblearn.combine import SMOTETomek
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from sklearn.datasets import make_classification

import rebalance

rs = rebalance.resampling


def data(seed=0, n=600, d=10):
    return make_classification(n_samples=n, n_features=d, n_informative=5, n_classes=3,
                               weights=[0.7, 0.2, 0.1], random_state=seed)


def generated_counts(imblearn_sampler, x, y):
    _, y_res = imblearn_sampler.fit_resample(x, y)
    return np.bincount(y_res, minlength=3) - np.bincount(y, minlength=3)


def check_on_segments(x, y, x_new, y_new, k):
    """Each new row lies on [x_i, x_j] with j among the k nearest same-class rows of i."""
    for c in np.unique(y_new):
        xc = torch.as_tensor(x[y == c])
        dist = torch.cdist(xc, xc)
        dist.fill_diagonal_(float("inf"))
        nn = dist.topk(k, largest=False).indices
        base = xc[:, None, :]
        direction = xc[nn] - base
        for row in torch.as_tensor(x_new[y_new == c]):
            t = ((row - base) * direction).sum(-1) / (direction ** 2).sum(-1).clamp_min(1e-30)
            t = t.clamp(0, 1)
            gap = (base + t[..., None] * direction - row).norm(dim=-1)
            assert gap.min() < 1e-6


# imbalanced-learn 0.10's parameter validation rejects "minority" for over-samplers although its
# check_sampling_strategy supports it; rebalance accepts it (tests/python/test_resampling_strategy).
@pytest.mark.parametrize("strategy", ["auto", "not minority", "all", {1: 300, 2: 250}])
@pytest.mark.parametrize("seed", [0, 1])
def test_smote(strategy, seed):
    x, y = data(seed)
    expected = generated_counts(SMOTE(sampling_strategy=strategy, random_state=0), x, y)
    x_new, y_new = rs.smote(x, y, strategy, seed=seed)
    np.testing.assert_array_equal(np.bincount(y_new, minlength=3), expected)
    assert x_new.dtype == x.dtype and x_new.shape == (len(y_new), x.shape[1])
    check_on_segments(x, y, x_new, y_new, 5)
    again = rs.smote(x, y, strategy, seed=seed)[0]
    np.testing.assert_array_equal(x_new, again)


def test_smote_binary_ratio_and_k():
    x, y = data(2)
    x, y = x[y != 1], y[y != 1]
    expected = generated_counts(SMOTE(sampling_strategy=0.6, k_neighbors=3, random_state=0), x, y)
    x_new, y_new = rs.smote(x, y, 0.6, k_neighbors=3)
    np.testing.assert_array_equal(np.bincount(y_new, minlength=3), expected)
    check_on_segments(x, y, x_new, y_new, 3)


def test_smote_float32_tensors():
    x, y = data(3)
    x_new, y_new = torch.ops.rebalance.smote(torch.as_tensor(x, dtype=torch.float32),
                                             torch.as_tensor(y))
    assert x_new.dtype == torch.float32 and y_new.dtype == torch.int64
    check_on_segments(x.astype(np.float32), y, x_new.numpy(), y_new.numpy(), 5)


@pytest.mark.parametrize("strategy", ["auto", "all", {1: 300}])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adasyn_counts(strategy, seed):
    x, y = data(seed)
    expected = generated_counts(ADASYN(sampling_strategy=strategy, random_state=0), x, y)
    x_new, y_new = rs.adasyn(x, y, strategy, seed=seed)
    np.testing.assert_array_equal(np.bincount(y_new, minlength=3), expected)
    check_on_segments(x, y, x_new, y_new, 5)


def test_adasyn_class_rounding_to_no_rows_gets_none_with_a_warning():
    """A near-majority class whose few wanted rows spread over many members rounds to no row:
    imbalanced-learn raises for the whole call; here that class gets none (warned) and the
    minority class still gets its rows, which imbalanced-learn computes alike when asked for
    that class alone."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (1000, 2)), rng.normal(0.5, 1, (995, 2)),
                   rng.normal(1, 1, (60, 2))])
    y = np.repeat([0, 1, 2], [1000, 995, 60])
    with pytest.raises(ValueError, match="No samples will be generated"):
        ADASYN(sampling_strategy={1: 1000}, random_state=0).fit_resample(x, y)
    with pytest.warns(UserWarning, match=r"adasyn: class 1 gets no new rows: its target of 5 "):
        x_new, y_new = rs.adasyn(x, y)
    expected = generated_counts(ADASYN(sampling_strategy={2: 1000}, random_state=0), x, y)
    np.testing.assert_array_equal(np.bincount(y_new, minlength=3), expected)
    assert expected[1] == 0 and expected[2] > 900
    check_on_segments(x, y, x_new, y_new, 5)


def test_smote_tomek_counts():
    x, y = data(4)
    x_res, y_res = SMOTETomek(random_state=0).fit_resample(x, y)
    x_new, y_new, kept = rs.smote_tomek(x, y)
    y_all = np.concatenate([y, y_new])
    np.testing.assert_array_equal(np.bincount(y_all), np.bincount(np.concatenate(
        [y, rs.smote(x, y)[1]])))
    # The kept rows have no Tomek link left among their generators' links: clean again, no change.
    x_all = np.vstack([x, x_new])
    expected_kept = np.sort(TomekLinksRef(x_all, y_all))
    np.testing.assert_array_equal(kept, expected_kept)
    assert abs(len(kept) - len(y_res)) < 0.05 * len(y_res)


def TomekLinksRef(x, y):
    from imblearn.under_sampling import TomekLinks
    t = TomekLinks(sampling_strategy="all")
    t.fit_resample(x, y)
    return t.sample_indices_


@pytest.mark.parametrize("strategy", ["auto", "all", "not minority", {0: 500, 1: 420}])
def test_random_over_sampler(strategy):
    x, y = data(5)
    expected = generated_counts(RandomOverSampler(sampling_strategy=strategy, random_state=0),
                                x, y)
    idx = rs.random_over_sampler(y, strategy, seed=3)
    np.testing.assert_array_equal(np.bincount(y[idx], minlength=3), expected)
    np.testing.assert_array_equal(idx, rs.random_over_sampler(y, strategy, seed=3))
