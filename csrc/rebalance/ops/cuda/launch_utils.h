#pragma once

// Host-side helpers shared by the CUDA launchers (not device code).
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace rebalance {
namespace cuda {

/// Blocks for `work` items of which one block handles `per_block` at a time, capped at
/// `max_blocks`; at least 1. Depends only on the sizes, so reductions are reproducible on any GPU.
inline int grid_size(int64_t work, int64_t per_block, int64_t max_blocks) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<int>(std::max<int64_t>(1, std::min(blocks, max_blocks)));
}

/// The float64 whose bits a kernel stored in an int64 (finalize_reduction_kernel's info[1]).
inline double double_from_bits(int64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

} // namespace cuda
} // namespace rebalance
