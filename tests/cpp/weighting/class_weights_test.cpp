#include "rebalance/weighting/class_weights.h"
#include "rebalance/weighting/logit_adjusted_cross_entropy.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cmath>

namespace {

TEST(ClassWeights, EffectiveNumberFormulaAndSum) {
  const at::Tensor counts = at::tensor({1000, 100, 10, 1}, at::kLong);
  const at::Tensor w = rebalance::class_weights(counts, "effective_number", 0.5, 0.99);
  ASSERT_EQ(w.scalar_type(), at::kFloat);
  double raw[4], total = 0;
  const int n[4] = {1000, 100, 10, 1};
  for (int c = 0; c < 4; ++c) total += raw[c] = (1 - 0.99) / (1 - std::pow(0.99, n[c]));
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(w[c].item<double>(), 4 * raw[c] / total, 1e-5);
}

TEST(ClassWeights, CostRowSumsWithoutDiagonal) {
  const at::Tensor cost = at::tensor({0.0, 1.0, 3.0, 9.0}, at::kDouble).view({2, 2});
  const at::Tensor w = rebalance::class_weights(at::tensor({5.0, 5.0}, at::kDouble), "cost", 0.5,
                                                0.999, cost);
  EXPECT_DOUBLE_EQ(w[0].item<double>(), 2.0 * 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(w[1].item<double>(), 2.0 * 3.0 / 4.0);
}

TEST(ClassWeights, Errors) {
  EXPECT_THROW(rebalance::class_weights(at::tensor({1, -1}, at::kLong), "inverse"),
               c10::ValueError);
  EXPECT_THROW(rebalance::class_weights(at::tensor({1, 1}, at::kLong), "nope"), c10::ValueError);
  EXPECT_THROW(rebalance::class_weights(at::tensor({1, 1}, at::kLong), "cluster"),
               c10::ValueError);
}

TEST(LogitAdjustedCrossEntropy, EqualsCrossEntropyOfShiftedLogits) {
  at::manual_seed(0);
  const at::Tensor logits = at::randn({16, 3}, at::kDouble);
  const at::Tensor target = at::randint(0, 3, {16}, at::kLong);
  const at::Tensor prior = rebalance::log_prior_from_counts(at::tensor({70.0, 20.0, 10.0}, at::kDouble));
  const at::Tensor shifted = logits + 0.5 * prior.view({1, 3});
  const at::Tensor expected = at::cross_entropy_loss(shifted, target);
  EXPECT_TRUE(rebalance::logit_adjusted_cross_entropy(logits, target, prior, 0.5)
                  .allclose(expected, 1e-12, 1e-12));
}

} // namespace
