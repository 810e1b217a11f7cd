#include "rebalance/sampling/epoch_plan.h"

#include "rebalance/bounds.h"
#include "rebalance/sampling/plan_generator.h"
#include "rebalance/warnings.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>

namespace rebalance {
namespace sampling {
namespace {

constexpr int64_t kBucketSlots = 16384;
constexpr int64_t kMaxBuckets = 65536;

int64_t bucket_count(int64_t total) {
  int64_t buckets = 1;
  while (buckets < kMaxBuckets && buckets * kBucketSlots < total) buckets *= 2;
  return buckets;
}

} // namespace

at::Tensor build_epoch_plan(const LabelIndex& index, const std::vector<int64_t>& draw_counts,
                            uint64_t seed, int64_t epoch) {
  // The plan is built for AdaptiveSampler, the class users call: errors name it.
  const char* op = "AdaptiveSampler";
  TORCH_CHECK_VALUE(static_cast<int64_t>(draw_counts.size()) == index.num_classes(), op,
                    ": draw_counts must have ", index.num_classes(), " entries, got ",
                    draw_counts.size());
  TORCH_CHECK_VALUE(epoch >= 0, op, ": epoch must be >= 0, got ", epoch);
  std::vector<int64_t> counts(draw_counts);
  int64_t total = 0;
  for (int64_t c = 0; c < index.num_classes(); ++c) {
    TORCH_CHECK_VALUE(counts[c] >= 0, op, ": draw count of class ", c, " must be >= 0, got ",
                      counts[c]);
    if (counts[c] > 0 && index.counts()[c] == 0) {
      warn(c10::str(op, ": class ", c, " has no samples; its ", counts[c], " draws are skipped"));
      counts[c] = 0;
    }
    total = checked_add(op, "the epoch plan size", total, counts[c]);
  }
  check_allocation(op, "the epoch plan size", total, kPlanBytesPerDraw);
  at::Tensor plan = at::empty({total}, at::kLong);
  if (total == 0) return plan;
  int64_t* out = plan.data_ptr<int64_t>();
  PlanGenerator gen(seed, static_cast<uint64_t>(epoch));

  // Slot i of the emission order goes to bucket bucket_of[i] (uniform, 16 bits per draw).
  const int64_t buckets = bucket_count(total);
  const uint64_t mask = static_cast<uint64_t>(buckets - 1);
  std::vector<uint16_t> bucket_of(total);
  for (int64_t i = 0; i < total; i += 4) {
    uint64_t bits = gen.next();
    for (int64_t k = i; k < std::min(i + 4, total); ++k, bits >>= 16) {
      bucket_of[k] = static_cast<uint16_t>(bits & mask);
    }
  }
  std::vector<int64_t> cursor(buckets + 1, 0);
  for (int64_t i = 0; i < total; ++i) ++cursor[bucket_of[i] + 1];
  for (int64_t b = 0; b < buckets; ++b) cursor[b + 1] += cursor[b];
  std::vector<int64_t> bounds(cursor);

  int64_t slot = 0;
  for (int64_t c = 0; c < index.num_classes(); ++c) {
    const int64_t have = index.counts()[c];
    if (counts[c] == 0) continue;
    const int64_t* samples = index.samples(c);
    for (int64_t pass = counts[c] / have; pass > 0; --pass) {
      for (int64_t k = 0; k < have; ++k) out[cursor[bucket_of[slot++]]++] = samples[k];
    }
    // Algorithm S: keep each sample with probability needed / remaining.
    auto needed = static_cast<uint64_t>(counts[c] % have);
    for (int64_t k = 0; needed > 0; ++k) {
      if (gen.bounded(static_cast<uint64_t>(have - k)) < needed) {
        out[cursor[bucket_of[slot++]]++] = samples[k];
        --needed;
      }
    }
  }
  for (int64_t b = 0; b < buckets; ++b) {
    int64_t* first = out + bounds[b];
    for (int64_t i = bounds[b + 1] - bounds[b] - 1; i > 0; --i) {
      std::swap(first[i], first[gen.bounded(static_cast<uint64_t>(i + 1))]);
    }
  }
  return plan;
}

int64_t shard_size(int64_t plan_size, int64_t world_size, bool drop_last) {
  TORCH_CHECK_VALUE(world_size >= 1, "AdaptiveSampler: world_size must be >= 1, got ",
                    world_size);
  if (drop_last || plan_size == 0) return plan_size / world_size;
  return 1 + (plan_size - 1) / world_size;  // ceil without overflow
}

at::Tensor shard_plan(const at::Tensor& plan, int64_t rank, int64_t world_size, bool drop_last) {
  const int64_t size = shard_size(plan.numel(), world_size, drop_last);
  TORCH_CHECK_VALUE(rank >= 0 && rank < world_size,
                    "AdaptiveSampler: rank must be in [0, world_size = ", world_size, "), got ",
                    rank);
  if (world_size == 1) return plan;
  at::Tensor shard = at::empty({size}, at::kLong);
  const int64_t total = plan.numel();
  const int64_t* in = plan.data_ptr<int64_t>();
  int64_t* out = shard.data_ptr<int64_t>();
  // rank + i · world_size < plan_size + world_size < 2^64: exact in uint64.
  const auto t = static_cast<uint64_t>(total), w = static_cast<uint64_t>(world_size);
  for (int64_t i = 0; i < size; ++i) {
    out[i] = in[(static_cast<uint64_t>(rank) + static_cast<uint64_t>(i) * w) % t];
  }
  return shard;
}

} // namespace sampling
} // namespace rebalance
