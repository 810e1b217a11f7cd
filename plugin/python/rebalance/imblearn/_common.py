"""What the rebalance.imblearn estimators share: seeds, features for the kernels, and the
resolved ``sampling_strategy_`` turned into the kernels' per-class counts."""

import numpy as np
from sklearn.utils import check_random_state

_SEED_RANGE = np.iinfo(np.int32).max


def seed_of(random_state) -> int:
    """A kernel seed drawn from ``random_state`` (None, an int or a RandomState)."""
    return int(check_random_state(random_state).randint(_SEED_RANGE))


def features(X) -> np.ndarray:
    """X as the float32/float64 matrix the kernels read (other dtypes become float64)."""
    X = np.asarray(X)
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)


def kept_counts(sampling_strategy_) -> dict:
    """Under-sampling: imbalanced-learn's {label: rows to keep} is the kernels' counts."""
    return {label: int(n) for label, n in sampling_strategy_.items()}


def total_counts(sampling_strategy_, y) -> dict:
    """Over-sampling: imbalanced-learn's {label: rows to add} as the totals the kernels take."""
    return {label: int(np.count_nonzero(y == label)) + int(n)
            for label, n in sampling_strategy_.items()}


def cleaned_classes(sampling_strategy_) -> list:
    """Cleaning: the targeted labels."""
    return list(sampling_strategy_.keys())


def dense_tags(tags, sample_indices: bool):
    """Tags of an estimator whose kernels need dense numeric features."""
    tags.input_tags.sparse = False
    tags.sampler_tags.sample_indices = sample_indices
    return tags
