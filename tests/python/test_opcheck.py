"""torch.library.opcheck (all of its default tests: schema, autograd registration, FakeTensor
and AOT dispatch with dynamic shapes) for every rebalance operator on representative inputs:
float32/float64, every reduction, class weights, ignore_index, label smoothing, spatial
dimensions and empty batches (issue 13). The fake kernels sit beside each op's registration
(csrc/rebalance/**, Meta) or, for outputs whose size depends on the data, in
rebalance/resampling.py (unbacked sizes)."""

import pytest
import torch

import rebalance  # noqa: F401

pytestmark = pytest.mark.skipif(not hasattr(torch.library, "opcheck"),
                                reason="torch.library.opcheck needs PyTorch >= 2.4")

ops = torch.ops.rebalance
G = torch.Generator().manual_seed(0)


def randn(*shape, dtype=torch.float32, grad=False):
    return (torch.randn(*shape, generator=G, dtype=torch.float64) * 2).to(dtype).requires_grad_(grad)


def labels(n, classes, ignore_every=0):
    y = torch.randint(0, classes, (n,), generator=G)
    if ignore_every:
        y[::ignore_every] = -100
    return y


def focal_cases():
    cases = []
    for dtype in (torch.float32, torch.float64):
        for reduction in ("none", "mean", "sum"):
            w = torch.rand(5, generator=G, dtype=torch.float64).to(dtype) + 0.1
            t = (torch.rand(8, 5, generator=G) > 0.6).to(dtype)
            for grad in (False, True):
                cases.append((f"sigmoid-{dtype}-{reduction}-{grad}", ops.sigmoid_focal_loss,
                              (randn(8, 5, dtype=dtype, grad=grad), t, 0.25, 2.0, w, reduction)))
                cases.append((f"softmax-{dtype}-{reduction}-{grad}", ops.softmax_focal_loss,
                              (randn(9, 5, dtype=dtype, grad=grad), labels(9, 5, ignore_every=4),
                               2.0, w, reduction, -100, 0.1)))
            cases.append((f"softmax-spatial-{dtype}-{reduction}", ops.softmax_focal_loss,
                          (randn(3, 5, 2, 4, dtype=dtype, grad=True),
                           labels(24, 5, ignore_every=5).view(3, 2, 4), 1.5, None, reduction,
                           -100, 0.0)))
            cases.append((f"sigmoid-empty-{dtype}-{reduction}", ops.sigmoid_focal_loss,
                          (randn(0, 5, dtype=dtype, grad=True), torch.zeros(0, 5, dtype=dtype),
                           -1.0, 2.0, None, reduction)))
            cases.append((f"softmax-empty-{dtype}-{reduction}", ops.softmax_focal_loss,
                          (randn(0, 5, dtype=dtype, grad=True), labels(0, 5), 2.0, None,
                           reduction, -100, 0.0)))
    x = randn(6, 4, dtype=torch.float64)
    cases.append(("sigmoid_forward", ops._sigmoid_focal_loss_forward,
                  (x, torch.rand(6, 4, generator=G, dtype=torch.float64), 0.25, 2.0, None, "mean",
                   True)))
    cases.append(("softmax_forward", ops._softmax_focal_loss_forward,
                  (x, labels(6, 4, ignore_every=3), 2.0, None, "none", -100, 0.0, True)))
    return cases


def other_cases():
    counts = torch.tensor([50, 7, 0, 3])
    x = randn(40, 3, dtype=torch.float64)
    y = torch.cat([torch.zeros(28, dtype=torch.long), torch.ones(12, dtype=torch.long)])
    log_prior = torch.log(torch.tensor([0.5, 0.3, 0.2]))
    return [
        ("confusion_matrix-logits", ops.confusion_matrix, (randn(10, 4), labels(10, 4, 3), 4, -100)),
        ("confusion_matrix-int64", ops.confusion_matrix,
         (labels(10, 4), labels(10, 4, 3), 4, -100)),
        ("confusion_matrix-empty", ops.confusion_matrix, (randn(0, 4), labels(0, 4), 4, -100)),
        ("class_weights-inverse", ops.class_weights, (counts, "inverse", 0.5, 0.999, None, None, True)),
        ("class_weights-effective", ops.class_weights,
         (counts.double(), "effective_number", 0.5, 0.99, None, None, False)),
        ("log_prior_from_counts", ops.log_prior_from_counts, (counts,)),
        ("count_clusters_per_class", ops.count_clusters_per_class, (x, y, 2, 3, 0.5, 0)),
        ("logit_adjusted_cross_entropy", ops.logit_adjusted_cross_entropy,
         (randn(7, 3, grad=True), labels(7, 3, 4), log_prior.float(), 1.0, None, "mean", -100)),
        ("logit_adjusted_cross_entropy-none-f64", ops.logit_adjusted_cross_entropy,
         (randn(7, 3, dtype=torch.float64, grad=True), labels(7, 3), log_prior, 0.5,
          torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), "none", -100)),
        ("ldam_margins", ops.ldam_margins, (counts, 0.5)),
        ("ldam_loss", ops.ldam_loss,
         (randn(7, 3, grad=True), labels(7, 3, 4), torch.tensor([0.1, 0.3, 0.5]), 5.0, None,
          "mean", -100)),
        ("ldam_loss-none-f64-weighted", ops.ldam_loss,
         (randn(7, 3, dtype=torch.float64, grad=True), labels(7, 3),
          torch.tensor([0.5, 0.2, 0.0], dtype=torch.float64), 2.0,
          torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), "none", -100)),
        ("ldam_loss-spatial-sum", ops.ldam_loss,
         (randn(2, 3, 4, grad=True), labels(8, 3, 3).view(2, 4), torch.tensor([0.1, 0.3, 0.5]),
          30.0, None, "sum", -100)),
        ("ldam_loss-empty", ops.ldam_loss,
         (randn(0, 3, grad=True), labels(0, 3), torch.tensor([0.1, 0.3, 0.5]), 1.0, None,
          "mean", -100)),
        ("knn", ops.knn, (x, x, 3, True, 1 << 20)),
        ("knn-float32", ops.knn, (x[:5].float(), x.float(), 2, False, 1 << 20)),
        ("kmeans", ops.kmeans, (x, 3, 50, 1e-4, 0, 1 << 20)),
        ("sampling_strategy", ops.sampling_strategy, (y, "over-sampling", "auto", -1.0, None, -1)),
        ("random_under_sampler", ops.random_under_sampler, (y, "auto", -1.0, None, False, 0)),
        ("random_over_sampler", ops.random_over_sampler, (y, "auto", -1.0, None, 0)),
        ("tomek_links", ops.tomek_links, (x, y, "auto", None, 1 << 20)),
        ("edited_nearest_neighbours", ops.edited_nearest_neighbours,
         (x, y, "auto", None, 3, "all", 1 << 20)),
        ("near_miss", ops.near_miss, (x, y, "auto", -1.0, None, 3, 1 << 20)),
        ("smote", ops.smote, (x, y, "auto", -1.0, None, 5, 0, 1 << 20)),
        ("adasyn", ops.adasyn, (x, y, "auto", -1.0, None, 5, 0, 1 << 20)),
        ("smote_tomek", ops.smote_tomek, (x, y, "auto", -1.0, None, 5, 0, 1 << 20)),
        ("cluster_centroids", ops.cluster_centroids,
         (x, y, "auto", -1.0, None, "soft", 50, 1e-4, 0, 1 << 20)),
    ]


ALL_CASES = focal_cases() + other_cases()


@pytest.mark.parametrize("name,op,args", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_opcheck(name, op, args):
    torch.library.opcheck(op, args)


def test_every_operator_is_covered():
    # A new op without an opcheck case fails here.
    covered = {op._qualified_op_name.split("::")[1] for _, op, _ in ALL_CASES}
    schemas = {s.name.split("::")[1] for s in torch._C._jit_get_all_schemas()
               if s.name.startswith("rebalance::")}
    untested = schemas - covered - {"set_checks_enabled", "checks_enabled", "take_warnings"}
    assert untested == set()
