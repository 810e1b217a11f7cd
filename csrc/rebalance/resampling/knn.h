#pragma once

#include "rebalance/resampling/checks.h"

#include <ATen/ATen.h>

#include <tuple>

namespace rebalance {

/// Exact k-nearest neighbours under the squared Euclidean distance.
/// query: nq × d, reference: nr × d (same floating dtype and device). Returns
/// (distances nq × k in the query dtype, indices nq × k int64), each row sorted by
/// (distance, index): ties, duplicates included, go to the lowest reference index.
/// exclude_self: query row i is reference row i (nq == nr) and is not its own neighbour.
/// Candidates come from the approximate values ||r||² − 2 q·r (float32 CPU: fused
/// register-blocked tiles; otherwise GEMM blocks of at most about memory_budget bytes; never an
/// nq × nr matrix): the best k + 3 per query are re-measured exactly (float64 difference
/// of the rows). The result is exact: a query whose list cannot be proven to hold its k nearest
/// (the worst candidate's value, less the rounding bound 2 (d + 2) u (||q|| + max ||r||)², is
/// not above the k-th exact distance; u = 2⁻²⁴ for float32, 2⁻⁵³ for float64, 2⁻¹¹ where CUDA
/// uses TF32) is re-measured against every reference.
/// Requires 1 <= k <= nr (nr − 1 with exclude_self). Goes through the dispatcher.
std::tuple<at::Tensor, at::Tensor> knn(const at::Tensor& query, const at::Tensor& reference,
                                       int64_t k, bool exclude_self = false,
                                       int64_t memory_budget = resampling::kDefaultMemoryBudget);

namespace detail {

/// Implementation of knn. self_index: undefined, or int64 (nq) giving for every query row one
/// reference index that is skipped (-1: none). generic: use only ATen tensor ops (the path of
/// non-CPU devices, also taken when resampling::use_generic_path says so). symmetric: the
/// caller promises self_index = arange(nq) and query and reference the same rows; a one-thread
/// float32 CPU run then computes each pair once when every candidate list (n × (k + 3) entries)
/// fits in half of memory_budget.
/// Returns float64 distances.
std::tuple<at::Tensor, at::Tensor> knn_impl(const at::Tensor& query, const at::Tensor& reference,
                                            int64_t k, const at::Tensor& self_index,
                                            int64_t memory_budget, bool generic,
                                            bool symmetric = false);

/// knn_impl for the resampling op `op`: its errors name `op` instead of knn.
std::tuple<at::Tensor, at::Tensor> knn_for(const char* op, const at::Tensor& query,
                                           const at::Tensor& reference, int64_t k,
                                           const at::Tensor& self_index, int64_t memory_budget,
                                           bool generic, bool symmetric = false);

/// Backend entry of the op rebalance::knn.
std::tuple<at::Tensor, at::Tensor> knn_kernel(const at::Tensor& query,
                                              const at::Tensor& reference, int64_t k,
                                              bool exclude_self, int64_t memory_budget);

/// Fake (Meta) kernel of rebalance::knn: (distances nq × k in the query dtype, indices nq × k
/// int64).
std::tuple<at::Tensor, at::Tensor> knn_meta(const at::Tensor& query, const at::Tensor& reference,
                                            int64_t k, bool exclude_self, int64_t memory_budget);

/// The search shared by both paths. q: nq × d, r: nr × d (float32 or float64, contiguous, one
/// device), self: undefined or int64 (nq); m: candidates per query (k <= m <= available
/// references); out_d (float64) and out_i (int64): nq × k, written.
struct KnnProblem {
  at::Tensor q, r, self;
  int64_t k, m, memory_budget;
  bool symmetric;
};

/// Largest rounding error of an approximate value ||r||² − 2 q·r computed with unit roundoff u
/// over d features, for ||q||² = qnorm2 and max ||r||² = rmax2: 2 (d + 2) u (||q|| + R)².
double approx_error(double qnorm2, double rmax2, int64_t d, double u);

/// Unit roundoff of the approximate values for q's dtype and device (TF32 where CUDA uses it).
double unit_roundoff(const at::Tensor& q);

/// Fused CPU search (float32 kernel, float64 GEMM blocks); the exact re-measurement and check.
void knn_cpu(const KnnProblem& p, at::Tensor& out_d, at::Tensor& out_i);

/// The same result through ATen tensor ops only, on any device.
void knn_generic(const KnnProblem& p, at::Tensor& out_d, at::Tensor& out_i);

} // namespace detail
} // namespace rebalance
