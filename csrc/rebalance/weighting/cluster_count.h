#pragma once

#include <ATen/ATen.h>

namespace rebalance {

/// Number of clusters K_c per class (input of class_weights(..., "cluster", ...)), found with
/// rebalance::kmeans by an elbow rule: for k = 2, 3, ... up to min(max_clusters, n_c), k
/// clusters are kept while the k-means inertia drops by at least min_improvement (a fraction
/// of the inertia with k - 1 clusters).
/// features: (N, D) floating, finite; labels: (N,) int64 in [0, num_classes).
/// Returns (num_classes,) int64: K_c >= 1 for classes with samples, 0 for absent ones.
/// Errors: TypeError / ValueError / IndexError for bad dtypes, shapes, options or labels.
at::Tensor count_clusters_per_class(const at::Tensor& features, const at::Tensor& labels,
                                    int64_t num_classes, int64_t max_clusters = 8,
                                    double min_improvement = 0.5, int64_t seed = 0);

} // namespace rebalance
