#pragma once

#include "rebalance/sampling/label_index.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace rebalance {
namespace sampling {

/// Bytes of memory one draw of a plan takes while it is built and sharded (the plan, its
/// shuffle bucket and the shard), for the allocation checks of budgets and counts.
constexpr int64_t kPlanBytesPerDraw = 18;

/// The global sample order of one epoch: an int64 tensor of size Σ n_c holding, for each class
/// c, floor(n_c / N_c) copies of every sample of c plus (n_c mod N_c) distinct samples of c drawn
/// without replacement, all in uniformly random order. A function of (index, draw_counts, seed,
/// epoch) only; O(N + Σ n_c) time, no sort, no limit on N or C.
///
/// `draw_counts`: n_c, size C, each >= 0; a class with N_c == 0 and n_c > 0 is skipped with a
/// warning. Within-class draws use selection sampling (Knuth's Algorithm S); the order is a
/// Rao–Sandelius shuffle: every slot goes to a uniform random bucket of ~16K slots, then each
/// bucket is Fisher–Yates shuffled while it sits in cache.
at::Tensor build_epoch_plan(const LabelIndex& index, const std::vector<int64_t>& draw_counts,
                            uint64_t seed, int64_t epoch);

/// Size of one rank's shard of a plan of `plan_size` entries, as torch.utils.data's
/// DistributedSampler: ceil(plan_size / world_size), or floor(...) when `drop_last`.
int64_t shard_size(int64_t plan_size, int64_t world_size, bool drop_last);

/// This rank's part of `plan`: entries rank, rank + world_size, ... of the plan padded by
/// wrapping around to shard_size() · world_size entries (or cut to that size when `drop_last`).
/// Requires 0 <= rank < world_size (ValueError). Returns `plan` itself when world_size == 1.
at::Tensor shard_plan(const at::Tensor& plan, int64_t rank, int64_t world_size, bool drop_last);

} // namespace sampling
} // namespace rebalance
