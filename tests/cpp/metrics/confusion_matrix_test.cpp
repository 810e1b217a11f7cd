#include "rebalance/ops/confusion_matrix.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

namespace {

/// Reference written with plain loops over accessors.
at::Tensor naive_confusion(const at::Tensor& pred, const at::Tensor& target, int64_t C,
                           int64_t ignore_index) {
  at::Tensor out = at::zeros({C, C}, at::kLong);
  auto o = out.accessor<int64_t, 2>();
  const at::Tensor p = pred.reshape(-1), t = target.reshape(-1);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t ti = t[i].item<int64_t>();
    if (ti == ignore_index) continue;
    o[ti][p[i].item<int64_t>()] += 1;
  }
  return out;
}

TEST(ConfusionMatrix, PredictionsMatchLoop) {
  at::manual_seed(0);
  const at::Tensor target = at::randint(0, 7, {3000}, at::kLong);
  const at::Tensor pred = at::randint(0, 7, {3000}, at::kLong);
  EXPECT_TRUE(rebalance::confusion_matrix(pred, target, 7).equal(naive_confusion(pred, target, 7, -100)));
}

TEST(ConfusionMatrix, LogitsWithTrailingDimsAndIgnoreIndex) {
  at::manual_seed(1);
  const at::Tensor logits = at::randn({4, 5, 3, 6});
  at::Tensor target = at::randint(0, 5, {4, 3, 6}, at::kLong);
  target.index_put_({target == 2}, -1);
  const at::Tensor expected = naive_confusion(logits.argmax(1), target, 5, -1);
  EXPECT_TRUE(rebalance::confusion_matrix(logits, target, 5, -1).equal(expected));
}

TEST(ConfusionMatrix, WideLogitsFirstMaximumWins) {
  const at::Tensor logits = at::zeros({3, 40});
  logits[0][17] = 1;
  logits[0][33] = 1;
  logits[2][39] = 2;
  const at::Tensor target = at::zeros({3}, at::kLong);
  const at::Tensor cm = rebalance::confusion_matrix(logits, target, 40);
  EXPECT_EQ(cm[0][17].item<int64_t>(), 1);
  EXPECT_EQ(cm[0][0].item<int64_t>(), 1);
  EXPECT_EQ(cm[0][39].item<int64_t>(), 1);
}

TEST(ConfusionMatrix, Errors) {
  const at::Tensor target = at::tensor({0, 1, 5}, at::kLong);
  EXPECT_THROW(rebalance::confusion_matrix(at::tensor({0, 1, 2}, at::kLong), target, 3),
               c10::IndexError);
  EXPECT_THROW(rebalance::confusion_matrix(at::tensor({0, 1}, at::kLong), target, 3),
               c10::ValueError);
  EXPECT_THROW(rebalance::confusion_matrix(at::tensor({0, 1, 2}, at::kInt), target, 3),
               c10::TypeError);
}

} // namespace
