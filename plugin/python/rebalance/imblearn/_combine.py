"""SMOTETomek: SMOTE then Tomek-link cleaning, imbalanced-learn's combination, on our estimators."""

import numbers

from imblearn.base import BaseSampler
from sklearn.base import clone

from ._over import SMOTE
from ._under import TomekLinks


class SMOTETomek(BaseSampler):
    """imbalanced-learn's ``SMOTETomek``: ``smote`` (default ``SMOTE(sampling_strategy=...,
    random_state=...)``) then ``tomek`` (default ``TomekLinks(sampling_strategy="all")``), both
    rebalance estimators. No ``sample_indices_`` (as imbalanced-learn)."""

    _sampling_type = "over-sampling"
    _parameter_constraints: dict = {**SMOTE._parameter_constraints,
                                    "smote": [SMOTE, None], "tomek": [TomekLinks, None],
                                    "n_jobs": [numbers.Integral, None]}
    del _parameter_constraints["k_neighbors"]

    def __init__(self, *, sampling_strategy="auto", random_state=None, smote=None, tomek=None,
                 n_jobs=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.smote = smote
        self.tomek = tomek
        self.n_jobs = n_jobs

    def _fit_resample(self, X, y):
        self.smote_ = (clone(self.smote) if self.smote is not None else
                       SMOTE(sampling_strategy=self.sampling_strategy,
                             random_state=self.random_state))
        self.tomek_ = (clone(self.tomek) if self.tomek is not None else
                       TomekLinks(sampling_strategy="all"))
        X_res, y_res = self.smote_.fit_resample(X, y)
        return self.tomek_.fit_resample(X_res, y_res)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.sampler_tags.sample_indices = False
        return tags
