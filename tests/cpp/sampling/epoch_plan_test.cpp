#include "rebalance/sampling/epoch_plan.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>

namespace {

using rebalance::sampling::build_epoch_plan;
using rebalance::sampling::LabelIndex;
using rebalance::sampling::shard_plan;

at::Tensor long_tailed_labels(int64_t classes, int64_t head) {
  std::vector<int64_t> labels;
  for (int64_t c = 0; c < classes; ++c) {
    for (int64_t k = 0; k < head / (c + 1); ++k) labels.push_back(c);
  }
  return at::tensor(labels, at::kLong).index_select(0, at::randperm(labels.size(), at::kLong));
}

std::map<int64_t, int64_t> occurrences(const at::Tensor& plan) {
  std::map<int64_t, int64_t> seen;
  for (int64_t i = 0; i < plan.numel(); ++i) ++seen[plan[i].item<int64_t>()];
  return seen;
}

TEST(SamplingLabelIndex, GroupsSamplesByClassInOrder) {
  const at::Tensor y = at::tensor(std::vector<int64_t>{2, 0, 2, 1, 0, 2}, at::kLong);
  LabelIndex index(y, 4);
  EXPECT_EQ(index.counts(), (std::vector<int64_t>{2, 1, 3, 0}));
  EXPECT_EQ(std::vector<int64_t>(index.samples(2), index.samples(2) + 3),
            (std::vector<int64_t>{0, 2, 5}));
  EXPECT_TRUE(at::equal(index.labels(), y));
}

TEST(SamplingLabelIndex, RejectsBadLabels) {
  EXPECT_THROW(LabelIndex(at::tensor(std::vector<int64_t>{0, 3}, at::kLong), 3), c10::IndexError);
  EXPECT_THROW(LabelIndex(at::tensor(std::vector<int64_t>{-1, 0}, at::kLong), 3),
               c10::IndexError);
  EXPECT_THROW(LabelIndex(at::empty({0}, at::kLong), 3), c10::ValueError);
  EXPECT_THROW(LabelIndex(at::zeros({3}, at::kFloat), 3), c10::TypeError);
}

TEST(SamplingEpochPlan, ClassCountsAndCopiesAreExact) {
  const at::Tensor y = long_tailed_labels(6, 60);
  LabelIndex index(y, 6);
  const std::vector<int64_t> draws{10, 30, 45, 0, 12, 25};  // N = 60, 30, 20, 15, 12, 10
  const at::Tensor plan = build_epoch_plan(index, draws, 5, 2);
  ASSERT_EQ(plan.numel(), 122);
  std::vector<int64_t> per_class(6, 0);
  const auto seen = occurrences(plan);
  for (const auto& kv : seen) per_class[y[kv.first].item<int64_t>()] += kv.second;
  EXPECT_EQ(per_class, draws);
  for (const auto& kv : seen) {
    const int64_t c = y[kv.first].item<int64_t>();
    const int64_t have = index.counts()[c];
    EXPECT_GE(kv.second, draws[c] / have);
    EXPECT_LE(kv.second, (draws[c] + have - 1) / have);
  }
  // Over-sampled classes contain every sample at least floor(n_c / N_c) times.
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int64_t c = y[i].item<int64_t>();
    const int64_t whole = draws[c] / index.counts()[c];
    if (whole > 0) EXPECT_GE(seen.count(i) ? seen.at(i) : 0, whole);
  }
}

TEST(SamplingEpochPlan, DeterministicPerSeedAndEpoch) {
  LabelIndex index(long_tailed_labels(5, 400), 5);
  const std::vector<int64_t> draws{100, 100, 100, 100, 100};
  EXPECT_TRUE(at::equal(build_epoch_plan(index, draws, 1, 3), build_epoch_plan(index, draws, 1, 3)));
  EXPECT_FALSE(at::equal(build_epoch_plan(index, draws, 1, 3), build_epoch_plan(index, draws, 1, 4)));
  EXPECT_FALSE(at::equal(build_epoch_plan(index, draws, 2, 3), build_epoch_plan(index, draws, 1, 3)));
}

TEST(SamplingEpochPlan, ShardsFollowDistributedSampler) {
  const at::Tensor plan = at::arange(10, at::kLong);
  EXPECT_TRUE(at::equal(shard_plan(plan, 1, 3, false), at::tensor(std::vector<int64_t>{1, 4, 7, 0})));
  EXPECT_TRUE(at::equal(shard_plan(plan, 2, 3, false), at::tensor(std::vector<int64_t>{2, 5, 8, 1})));
  EXPECT_TRUE(at::equal(shard_plan(plan, 2, 3, true), at::tensor(std::vector<int64_t>{2, 5, 8})));
  EXPECT_THROW(shard_plan(plan, 3, 3, false), c10::ValueError);
  EXPECT_THROW(shard_plan(plan, 0, 0, false), c10::ValueError);
}

TEST(SamplingEpochPlan, SkipsClassesWithoutSamples) {
  LabelIndex index(at::tensor(std::vector<int64_t>{0, 0, 2}, at::kLong), 3);
  const at::Tensor plan = build_epoch_plan(index, {2, 5, 1}, 0, 0);
  EXPECT_EQ(plan.numel(), 3);
}

} // namespace
