#include "rebalance/metrics/class_metrics.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

namespace {

TEST(ClassMetrics, HandComputedThreeClassReport) {
  // true 0: 3 samples (2 right, 1 -> class 1); true 1: 1 sample (-> 0); class 2 absent.
  rebalance::ClassMetrics m(3);
  m.update(at::tensor({0, 0, 1, 0}, at::kLong), at::tensor({0, 0, 0, 1}, at::kLong));
  const rebalance::ClassReport r = m.report();
  EXPECT_DOUBLE_EQ(r.precision[0].item<double>(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.recall[0].item<double>(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.f1[1].item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r.f1[2].item<double>(), 0.0);
  EXPECT_EQ(r.support[2].item<int64_t>(), 0);
  EXPECT_DOUBLE_EQ(r.macro_f1, (2.0 / 3.0 + 0.0) / 2.0);  // class 2 neither true nor predicted
  EXPECT_DOUBLE_EQ(r.balanced_accuracy, (2.0 / 3.0 + 0.0) / 2.0);
  EXPECT_DOUBLE_EQ(r.geometric_mean, 0.0);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.5);
  EXPECT_FALSE(r.has_previous);
  EXPECT_FALSE(r.f1.isnan().any().item<bool>());
}

TEST(ClassMetrics, MergeAndResetKeepPreviousF1) {
  rebalance::ClassMetrics a(2), b(2);
  a.update(at::tensor({0, 1}, at::kLong), at::tensor({0, 1}, at::kLong));
  b.update(at::tensor({1, 1}, at::kLong), at::tensor({0, 1}, at::kLong));
  a.merge(b);
  EXPECT_TRUE(a.state().equal(at::tensor({1, 1, 0, 2}, at::kLong).view({2, 2})));
  a.merge(b.state());
  EXPECT_EQ(a.state().sum().item<int64_t>(), 6);
  const at::Tensor f1 = a.report().f1;
  a.reset();
  EXPECT_EQ(a.state().sum().item<int64_t>(), 0);
  a.update(at::tensor({0, 1}, at::kLong), at::tensor({0, 1}, at::kLong));
  const rebalance::ClassReport r = a.report();
  EXPECT_TRUE(r.has_previous);
  EXPECT_TRUE(r.f1_change.allclose(at::ones({2}, at::kDouble) - f1));
  EXPECT_NE(r.table().find("f1 change"), std::string::npos);
}

TEST(ClassMetrics, SerializedRoundTripIsExact) {
  rebalance::ClassMetrics m(4, 9);
  m.update(at::randn({30, 4}), at::randint(0, 4, {30}, at::kLong));
  m.reset();
  m.update(at::randn({30, 4}), at::randint(0, 4, {30}, at::kLong));
  auto copy = std::make_shared<rebalance::ClassMetrics>(1);
  copy->load_state_bytes(m.state_bytes());
  EXPECT_TRUE(copy->state().equal(m.state()));
  EXPECT_TRUE(copy->previous_f1().equal(m.previous_f1()));
  EXPECT_EQ(copy->ignore_index(), 9);
  EXPECT_EQ(copy->table(), m.table());
}

TEST(ClassMetrics, Errors) {
  EXPECT_THROW(rebalance::ClassMetrics(0), c10::ValueError);
  rebalance::ClassMetrics m(2);
  EXPECT_THROW(m.merge(at::zeros({3, 3}, at::kLong)), c10::ValueError);
  EXPECT_THROW(m.set_state(at::zeros({2, 2})), c10::TypeError);
  EXPECT_THROW(m.update(at::tensor({0, 2}, at::kLong), at::tensor({0, 1}, at::kLong)),
               c10::IndexError);
}

} // namespace
