"""imbalanced-learn estimators that run rebalance's kernels.

Each class subclasses imbalanced-learn's ``BaseSampler`` (through its under-, cleaning- or
over-sampling base), takes imbalanced-learn's constructor parameters with their semantics, and
works in ``imblearn.pipeline.Pipeline`` and ``GridSearchCV``::

    from imblearn.pipeline import Pipeline
    from rebalance.imblearn import TomekLinks
    Pipeline([("tomek", TomekLinks()), ("clf", LogisticRegression())]).fit(X, y)

``NearestNeighbors`` is a scikit-learn ``NearestNeighbors`` look-alike over the exact kNN op, for
imbalanced-learn's own ``k_neighbors=`` / ``n_neighbors=`` parameters. Needs imbalanced-learn
(``import rebalance`` does not).
"""

try:
    import imblearn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised by the optional-import test
    raise ImportError("rebalance.imblearn needs imbalanced-learn (pip install "
                      "imbalanced-learn)") from error

from ._combine import SMOTETomek
from ._neighbors import NearestNeighbors
from ._over import ADASYN, SMOTE, RandomOverSampler
from ._under import (ClusterCentroids, EditedNearestNeighbours, NearMiss, RandomUnderSampler,
                     TomekLinks)

__all__ = ["ADASYN", "ClusterCentroids", "EditedNearestNeighbours", "NearMiss",
           "NearestNeighbors", "RandomOverSampler", "RandomUnderSampler", "SMOTE", "SMOTETomek",
           "TomekLinks"]
