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
/// Candidates are found through GEMM blocks (||r||² − 2 q·r, query block × reference block,
/// at most about memory_budget bytes; never an nq × nr matrix); the best k + max(k, 8)
/// candidates of each query are then re-measured exactly (float64 difference of the rows)
/// and the final order and distances come from those exact values.
/// Requires 1 <= k <= nr (nr − 1 with exclude_self). Goes through the dispatcher.
std::tuple<at::Tensor, at::Tensor> knn(const at::Tensor& query, const at::Tensor& reference,
                                       int64_t k, bool exclude_self = false,
                                       int64_t memory_budget = resampling::kDefaultMemoryBudget);

namespace detail {

/// Implementation of knn. self_index: undefined, or int64 (nq) giving for every query row one
/// reference index that is skipped (-1: none). generic: use only ATen tensor ops (the path of
/// non-CPU devices) instead of the CPU scan. symmetric: the caller promises self_index =
/// arange(nq); when query and reference are the same tensor the CPU path then computes each
/// block pair once (half the GEMM work, n × (k + max(k, 8)) candidates held in memory).
/// Returns float64 distances.
std::tuple<at::Tensor, at::Tensor> knn_impl(const at::Tensor& query, const at::Tensor& reference,
                                            int64_t k, const at::Tensor& self_index,
                                            int64_t memory_budget, bool generic,
                                            bool symmetric = false);

/// Backend entry of the op rebalance::knn.
std::tuple<at::Tensor, at::Tensor> knn_kernel(const at::Tensor& query,
                                              const at::Tensor& reference, int64_t k,
                                              bool exclude_self, int64_t memory_budget);

} // namespace detail
} // namespace rebalance
