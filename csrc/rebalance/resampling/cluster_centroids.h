#pragma once

#include "rebalance/compat.h"
#include "rebalance/resampling/checks.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {

/// Cluster-centroid under-sampling (Yen & Lee 2009; imbalanced-learn's ClusterCentroids): each
/// targeted class (under-sampling strategy, default "auto" = all but the minority, down to the
/// minority's size) is replaced by the centres of a k-means with `target` clusters
/// (rebalance::kmeans: k-means++ seeding, max_iter, tol, seed). voting "soft" (default) returns
/// the centres, "hard" the real row nearest to each centre (ties to the lowest index).
/// x: n × d floating, finite; y: integer labels (n) in [0, C).
/// Returns (rows m × d, labels int64 (m), source int64 (m)) in imbalanced-learn's order (classes
/// ascending; an untouched class contributes its own rows): source is the original index of each
/// row, -1 for a centre.
std::tuple<at::Tensor, at::Tensor, at::Tensor> cluster_centroids(
    const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy = "auto",
    double ratio = -1, const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
    rebalance::string_view voting = "soft", int64_t max_iter = 300, double tol = 1e-4,
    int64_t seed = 0, int64_t memory_budget = resampling::kDefaultMemoryBudget);

} // namespace rebalance
