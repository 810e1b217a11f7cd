"""imbalanced-learn's own estimator checks (imblearn.utils.estimator_checks) on every
rebalance.imblearn estimator.

Checks that do not run, and why:
- check_samplers_sparse: only RandomUnderSampler / RandomOverSampler take sparse X (they only
  index rows); the kernels' estimators declare input_tags.sparse = False, so imbalanced-learn
  does not yield the check for them (sparse X raises scikit-learn's "dense data is required").
- check_samplers_string, check_samplers_nan: yielded only for the estimators that declare
  string / NaN input (the two random samplers, as in imbalanced-learn); the kernels need finite
  numbers.
- check_samplers_pandas, check_samplers_pandas_sparse: skipped by imbalanced-learn itself when
  pandas is not installed (it is not in scripts/requirements.txt).
"""

import pytest

pytest.importorskip("imblearn")
from imblearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from rebalance.imblearn import (ADASYN, SMOTE, ClusterCentroids,  # noqa: E402
                                EditedNearestNeighbours, NearMiss, RandomOverSampler,
                                RandomUnderSampler, SMOTETomek, TomekLinks)

ESTIMATORS = [TomekLinks(), EditedNearestNeighbours(), NearMiss(), ClusterCentroids(random_state=0),
              RandomUnderSampler(random_state=0), RandomOverSampler(random_state=0),
              SMOTE(random_state=0),
              ADASYN(random_state=0), SMOTETomek(random_state=0)]


@parametrize_with_checks(ESTIMATORS)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)
