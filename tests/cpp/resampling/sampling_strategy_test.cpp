#include "rebalance/resampling/sampling_strategy.h"

#include <gtest/gtest.h>

namespace {

using rebalance::resampling::resolve_sampling_strategy;
using rebalance::resampling::SamplingType;

const std::vector<int64_t> kCounts = {50, 7, 0, 20};

TEST(ResamplingStrategy, StringsFollowImbalancedLearn) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(resolve_sampling_strategy("t", kCounts, SamplingType::Over, "auto", -1, {}),
            (V{-1, 43, -1, 30}));
  EXPECT_EQ(resolve_sampling_strategy("t", kCounts, SamplingType::Over, "minority", -1, {}),
            (V{-1, 43, -1, -1}));
  EXPECT_EQ(resolve_sampling_strategy("t", kCounts, SamplingType::Under, "auto", -1, {}),
            (V{7, -1, -1, 7}));
  EXPECT_EQ(resolve_sampling_strategy("t", kCounts, SamplingType::Under, "majority", -1, {}),
            (V{7, -1, -1, -1}));
  EXPECT_EQ(resolve_sampling_strategy("t", kCounts, SamplingType::Clean, "all", -1, {}),
            (V{7, 7, -1, 7}));
  EXPECT_THROW(resolve_sampling_strategy("t", kCounts, SamplingType::Over, "majority", -1, {}),
               c10::ValueError);
}

TEST(ResamplingStrategy, RatioAndCounts) {
  using V = std::vector<int64_t>;
  const std::vector<int64_t> binary = {30, 90};
  // Over: int(90 * 0.5 - 30) = 15; under: int(30 / 0.5) = 60.
  EXPECT_EQ(resolve_sampling_strategy("t", binary, SamplingType::Over, "auto", 0.5, {}),
            (V{15, -1}));
  EXPECT_EQ(resolve_sampling_strategy("t", binary, SamplingType::Under, "auto", 0.5, {}),
            (V{-1, 60}));
  EXPECT_THROW(resolve_sampling_strategy("t", kCounts, SamplingType::Under, "auto", 0.5, {}),
               c10::ValueError);
  const auto targets = at::tensor({-1, 10, -1, 25}, at::kLong);
  EXPECT_EQ(resolve_sampling_strategy("t", kCounts, SamplingType::Over, "auto", -1, targets),
            (V{-1, 3, -1, 5}));
  EXPECT_THROW(resolve_sampling_strategy("t", kCounts, SamplingType::Under, "auto", -1, targets),
               c10::ValueError);
}

} // namespace
