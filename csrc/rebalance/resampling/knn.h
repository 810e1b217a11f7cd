#pragma once

#include "rebalance/resampling/checks.h"

#include <ATen/ATen.h>

#include <tuple>
#include <vector>

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
/// On the CPU with at most kTreeMaxFeatures (12) features and at least 2048 references a k-d
/// tree searches instead where a probe of 256 queries shows it measuring few references, and
/// it resolves the queries the scan cannot prove (rows with huge norms, many near-ties); same
/// exact distances and tie order.
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

/// Most features for which the CPU search uses a k-d tree (knn_tree) instead of the scan.
constexpr int64_t kTreeMaxFeatures = 12;

/// Whether a k-d tree may serve p: a CPU search of at most kTreeMaxFeatures features over at
/// least 2048 references.
bool knn_tree_may_apply(const KnnProblem& p);

/// The search through a k-d tree over the references (exact float64 distances, ties to the
/// lowest index: the result of knn_cpu). probe: first answer up to 256 evenly spaced queries
/// one by one and give up (return false; the caller runs the scan, which overwrites whatever
/// was written) as soon as they have measured more than 1/100 of the references each on
/// average, where the scan is cheaper.
bool knn_tree(const KnnProblem& p, at::Tensor& out_d, at::Tensor& out_i, bool probe);

/// The tree search for the queries `rows` only (the scan's unproven queries).
void knn_tree_rows(const KnnProblem& p, const std::vector<int64_t>& rows, at::Tensor& out_d,
                   at::Tensor& out_i);

} // namespace detail
} // namespace rebalance
