#pragma once

#include "rebalance/resampling/checks.h"

#include <ATen/ATen.h>

#include <tuple>

namespace rebalance {

/// k-means (Lloyd) with greedy k-means++ seeding (Arthur & Vassilvitskii 2007; 2 + ⌊ln k⌋
/// candidate centres per step, the one that lowers the potential most is kept).
/// x: n × d floating, finite; 1 <= n_clusters <= n. Stops after max_iter (default 300) Lloyd
/// iterations, when no label changes, or when the squared centre shift summed over centres is
/// <= tol · mean per-feature variance of x (tol default 1e-4, scikit-learn's rule). An empty
/// cluster is re-seeded with the row farthest from its centre. Distances go through the blocked
/// GEMM form ||x||² − 2 x·c + ||c||² (memory_budget bytes per block).
/// Returns (centres n_clusters × d in x's dtype, labels int64 (n), inertia float64 scalar =
/// Σ ||x_i − c_label(i)||² computed directly).
std::tuple<at::Tensor, at::Tensor, at::Tensor> kmeans(
    const at::Tensor& x, int64_t n_clusters, int64_t max_iter = 300, double tol = 1e-4,
    int64_t seed = 0, int64_t memory_budget = resampling::kDefaultMemoryBudget);

namespace detail {

/// kmeans with the argument checks' errors naming `op` (the composite op that called it).
std::tuple<at::Tensor, at::Tensor, at::Tensor> kmeans_impl(const char* op, const at::Tensor& x,
                                                           int64_t n_clusters, int64_t max_iter,
                                                           double tol, int64_t seed,
                                                           int64_t memory_budget);

/// Fake (Meta) kernel of rebalance::kmeans: (centres n_clusters × d, labels int64 (n), inertia
/// float64 scalar).
std::tuple<at::Tensor, at::Tensor, at::Tensor> kmeans_meta(const at::Tensor& x, int64_t n_clusters,
                                                           int64_t max_iter, double tol,
                                                           int64_t seed, int64_t memory_budget);

/// For every row of x (n × d), the nearest row of centres (k × d): (labels int64 (n),
/// squared distances (n), GEMM form, clamped at 0), lowest index on ties. float32 on the CPU:
/// the fused kNN kernel (ops/cpu/knn_kernel.h); otherwise GEMM blocks of memory_budget bytes.
std::tuple<at::Tensor, at::Tensor> nearest_centre(const at::Tensor& x, const at::Tensor& centres,
                                                  int64_t memory_budget);

} // namespace detail
} // namespace rebalance
