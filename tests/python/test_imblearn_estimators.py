"""rebalance.imblearn against imbalanced-learn's own estimators: the same sample_indices_ for
Tomek links, ENN and NearMiss-1, the same per-class counts for the random and synthetic ones;
Pipeline / GridSearchCV / get_params; NearestNeighbors inside imbalanced-learn's SMOTE; errors
that name the estimator."""

from collections import Counter

import numpy as np
import pytest

imblearn = pytest.importorskip("imblearn")
from imblearn import over_sampling as io, under_sampling as iu  # noqa: E402
from imblearn.combine import SMOTETomek as ImbSMOTETomek  # noqa: E402
from imblearn.pipeline import Pipeline  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neighbors import NearestNeighbors as SkNearestNeighbors  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

import rebalance.imblearn as ri  # noqa: E402


def dataset(seed=0, n=400, labels=(0, 1, 2)):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, n_classes=3,
                               weights=[0.7, 0.2, 0.1], flip_y=0.05, random_state=seed)
    return X, np.asarray(labels)[y]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ours, theirs", [
    (ri.TomekLinks(), iu.TomekLinks()),
    (ri.TomekLinks(sampling_strategy="all"), iu.TomekLinks(sampling_strategy="all")),
    (ri.EditedNearestNeighbours(), iu.EditedNearestNeighbours()),
    (ri.EditedNearestNeighbours(n_neighbors=5, kind_sel="mode"),
     iu.EditedNearestNeighbours(n_neighbors=5, kind_sel="mode")),
    (ri.NearMiss(), iu.NearMiss(version=1)),
    (ri.NearMiss(sampling_strategy={10: 60, 20: 30}),
     iu.NearMiss(version=1, sampling_strategy={10: 60, 20: 30})),
])
def test_kept_rows_equal_imbalanced_learn(ours, theirs, seed):
    X, y = dataset(seed, labels=(10, 20, 30))
    X_ours, y_ours = ours.fit_resample(X, y)
    X_theirs, y_theirs = theirs.fit_resample(X, y)
    np.testing.assert_array_equal(np.sort(ours.sample_indices_), np.sort(theirs.sample_indices_))
    assert Counter(y_ours) == Counter(y_theirs)
    np.testing.assert_array_equal(X_ours, X[ours.sample_indices_])


@pytest.mark.parametrize("strategy", ["auto", "all", {1: 200, 2: 150}])
@pytest.mark.parametrize("ours, theirs", [
    (ri.RandomOverSampler, io.RandomOverSampler), (ri.SMOTE, io.SMOTE),
    (ri.ADASYN, io.ADASYN), (ri.RandomUnderSampler, iu.RandomUnderSampler),
    (ri.ClusterCentroids, iu.ClusterCentroids)])
def test_counts_equal_imbalanced_learn(ours, theirs, strategy):
    if theirs in (iu.RandomUnderSampler, iu.ClusterCentroids):
        strategy = {0: 60, 1: 40} if isinstance(strategy, dict) else strategy
    X, y = dataset()
    X_ours, y_ours = ours(sampling_strategy=strategy, random_state=0).fit_resample(X, y)
    X_theirs, y_theirs = theirs(sampling_strategy=strategy, random_state=0).fit_resample(X, y)
    assert Counter(y_ours) == Counter(y_theirs)
    assert X_ours.shape == X_theirs.shape and X_ours.dtype == X.dtype
    if theirs not in (iu.RandomUnderSampler, iu.ClusterCentroids):
        np.testing.assert_array_equal(X_ours[:len(X)], X)  # originals first, then new rows


def test_random_samplers_sample_indices_and_seeds():
    X, y = dataset()
    over = ri.RandomOverSampler(random_state=3).fit(X, y)
    X_res, y_res = over.fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X[over.sample_indices_])
    np.testing.assert_array_equal(y_res, y[over.sample_indices_])
    again = ri.RandomOverSampler(random_state=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(X_res, again)
    under = ri.RandomUnderSampler(random_state=3)
    X_u, _ = under.fit_resample(X, y)
    assert len(np.unique(under.sample_indices_)) == len(X_u)
    other = ri.RandomUnderSampler(random_state=4).fit_resample(X, y)[0]
    assert not np.array_equal(X_u, other)


def test_smoothed_bootstrap_perturbs_only_the_new_rows():
    X, y = dataset()
    X_res, y_res = ri.RandomOverSampler(random_state=0, shrinkage=1.0).fit_resample(X, y)
    theirs = io.RandomOverSampler(random_state=0, shrinkage=1.0).fit_resample(X, y)[1]
    assert Counter(y_res) == Counter(theirs)
    np.testing.assert_array_equal(X_res[:len(X)], X)
    assert not np.isin(X_res[len(X):, 0], X[:, 0]).all()


def test_smote_tomek_is_our_smote_then_tomek_links_on_all_classes():
    X, y = dataset()
    X_res, y_res = ri.SMOTETomek(random_state=5).fit_resample(X, y)
    X_s, y_s = ri.SMOTE(random_state=5).fit_resample(X, y)
    tomek = iu.TomekLinks(sampling_strategy="all")  # imbalanced-learn cleans our SMOTE rows
    X_t, y_t = tomek.fit_resample(X_s, y_s)
    np.testing.assert_array_equal(X_res, X_t)
    np.testing.assert_array_equal(y_res, y_t)
    theirs = ImbSMOTETomek(random_state=5).fit_resample(X, y)[1]
    assert abs(len(y_res) - len(theirs)) < 0.05 * len(theirs)


def test_nearest_neighbors_matches_sklearn_and_drives_imblearn_smote():
    X, y = dataset()
    ours = ri.NearestNeighbors(n_neighbors=4).fit(X)
    theirs = SkNearestNeighbors(n_neighbors=4).fit(X)
    for query in (None, X[:50]):
        d_o, i_o = ours.kneighbors(query)
        d_t, i_t = theirs.kneighbors(query)
        np.testing.assert_array_equal(i_o, i_t)
        np.testing.assert_allclose(d_o, d_t, rtol=1e-10, atol=1e-12)
    g_o = ours.kneighbors_graph(X[:20], mode="distance").toarray()
    np.testing.assert_allclose(g_o, theirs.kneighbors_graph(X[:20], mode="distance").toarray(),
                               atol=1e-12)
    # imbalanced-learn's own SMOTE with our exact kNN gives exactly its result with sklearn's.
    ours_smote = io.SMOTE(k_neighbors=ri.NearestNeighbors(n_neighbors=6), random_state=0)
    sk_smote = io.SMOTE(k_neighbors=5, random_state=0)
    X_o, y_o = ours_smote.fit_resample(X, y)
    X_t, y_t = sk_smote.fit_resample(X, y)
    np.testing.assert_allclose(X_o, X_t)
    np.testing.assert_array_equal(y_o, y_t)
    with pytest.raises(ValueError, match="NearestNeighbors: expected n_neighbors <= "):
        ours.kneighbors(n_neighbors=len(X))


def test_pipeline_and_grid_search():
    X, y = dataset()
    pipe = Pipeline([("tomek", ri.TomekLinks()), ("smote", ri.SMOTE(random_state=0)),
                     ("clf", LogisticRegression(max_iter=200))])
    assert pipe.fit(X, y).score(X, y) > 0.6
    grid = GridSearchCV(Pipeline([("s", ri.RandomUnderSampler(random_state=0)),
                                  ("clf", LogisticRegression(max_iter=200))]),
                        {"s__sampling_strategy": ["auto", "not minority"]}, cv=3,
                        scoring="f1_macro").fit(X, y)
    assert grid.best_params_["s__sampling_strategy"] in ("auto", "not minority")
    smote = ri.SMOTE(k_neighbors=3)
    assert smote.get_params()["k_neighbors"] == 3
    assert smote.set_params(k_neighbors=7).k_neighbors == 7


def test_cluster_centroids_takes_a_kmeans_and_hard_voting_keeps_real_rows():
    X, y = dataset()
    cc = ri.ClusterCentroids(estimator=KMeans(random_state=0, max_iter=50), voting="hard")
    X_res, y_res = cc.fit_resample(X, y)
    assert set(Counter(y_res).values()) == {min(Counter(y).values())}
    assert all((X_res[i] == X).all(1).any() for i in range(len(X_res)))
    assert not hasattr(cc, "sample_indices_")


def test_errors_name_the_estimator():
    X, y = dataset()
    with pytest.raises(ValueError, match="NearMiss: rebalance implements version 1 only"):
        ri.NearMiss(version=2).fit_resample(X, y)
    with pytest.raises(InvalidParameterError, match="'k_neighbors' parameter of SMOTE"):
        ri.SMOTE(k_neighbors=0).fit_resample(X, y)
    with pytest.raises(InvalidParameterError, match="'kind_sel' parameter of EditedNearest"):
        ri.EditedNearestNeighbours(kind_sel="any").fit_resample(X, y)
    with pytest.raises(InvalidParameterError, match="'estimator' parameter of ClusterCentroids"):
        ri.ClusterCentroids(estimator=SkNearestNeighbors()).fit_resample(X, y)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="SMOTE does not accept missing values"):
        ri.SMOTE().fit_resample(X_nan, y)
