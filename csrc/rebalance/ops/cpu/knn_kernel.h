#pragma once

#include <ATen/ATen.h>

namespace rebalance {
namespace cpu {

/// Candidate search of the exact k-nearest-neighbour op for float32 CPU tensors. For every query
/// row i keeps the m smallest approximate values v_ij = ||r_j||² − 2 q_i·r_j (float32, the
/// distance less ||q_i||²), sorted ascending, the lower index first among equal values.
/// q: nq × d, r: nr × d, rnorm: nr (||r_j||² in float32), all float32 and contiguous.
/// self: undefined, or int64 (nq): reference index skipped for query i (-1: none).
/// cv: nq × m float32, ci: nq × m int64, cnt: nq int64, all contiguous; on return cnt[i] <= m
/// entries of row i hold the list. ref_block: references packed per pass (the packed block,
/// ref_block × d floats, should stay in L2). Fused register-blocked distance tiles: the GEMM
/// output never reaches memory. symmetric: q and r are the same rows (self = arange) and every
/// pair is computed once, on one thread (rows then take candidates in no particular index
/// order); otherwise query tiles run in parallel. Picks the AVX-512, AVX2 or portable build at
/// run time.
void knn_candidates_cpu(const at::Tensor& q, const at::Tensor& r, const at::Tensor& rnorm,
                        const at::Tensor& self, at::Tensor& cv, at::Tensor& ci, at::Tensor& cnt,
                        int64_t ref_block, bool symmetric);

} // namespace cpu
} // namespace rebalance
