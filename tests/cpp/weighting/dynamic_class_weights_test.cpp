#include "rebalance/weighting/dynamic_class_weights.h"

#include "rebalance/metrics/class_metrics.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <sstream>

namespace {

rebalance::DynamicClassWeightsOptions options() {
  return rebalance::DynamicClassWeightsOptions().power(2.0).momentum(0.5).min_weight(0.2).max_weight(2.5).warmup_epochs(1);
}

TEST(DynamicClassWeights, ResumeFromArchiveMatchesUninterruptedRun) {
  at::manual_seed(0);
  const at::Tensor scores = at::rand({8, 5}, at::kDouble);
  const at::Tensor base = at::tensor({1.0, 2.0, 0.5, 1.0, 3.0}, at::kDouble);
  rebalance::DynamicClassWeights straight(base, options());
  for (int64_t e = 0; e < 8; ++e) straight.update(scores[e]);

  rebalance::DynamicClassWeights first(base, options());
  for (int64_t e = 0; e < 4; ++e) first.update(scores[e]);
  std::stringstream stream;
  torch::serialize::OutputArchive out;
  first.save(out);
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  rebalance::DynamicClassWeights resumed(at::ones({5}, at::kDouble));
  resumed.load(in);
  for (int64_t e = 4; e < 8; ++e) resumed.update(scores[e]);
  EXPECT_TRUE(resumed.weights_double().equal(straight.weights_double()));
  EXPECT_EQ(resumed.epoch(), 8);
  EXPECT_NEAR(straight.weights_double().sum().item<double>(), 5.0, 1e-9);
}

TEST(DynamicClassWeights, WorseClassGetsMoreWeightFromReport) {
  rebalance::ClassMetrics metrics(2);
  // class 0 always right, class 1 right half of the time
  metrics.update(at::tensor({0, 0, 1, 0}, at::kLong), at::tensor({0, 0, 1, 1}, at::kLong));
  rebalance::DynamicClassWeights w(at::ones({2}));
  const at::Tensor out = w.update(metrics.report(), "recall");
  EXPECT_GT(out[1].item<float>(), out[0].item<float>());
  EXPECT_NEAR(out.sum().item<float>(), 2.0f, 1e-6);
}

TEST(DynamicClassWeights, RecallLowerBoundIsWilsons) {
  rebalance::ClassMetrics metrics(3);
  // class 0: 2 of 2 right; class 1: 2 of 4 right; class 2: never a target (support 0)
  metrics.update(at::tensor({0, 0, 1, 1, 0, 2}, at::kLong),
                 at::tensor({0, 0, 1, 1, 1, 1}, at::kLong));
  const at::Tensor lcb = rebalance::report_scores(metrics.report(), "recall_lcb");
  // Wilson score interval, z = 1: 2/2 -> 1 / 1.5; 2/4 -> (0.625 - sqrt(0.078125)) / 1.25
  EXPECT_NEAR(lcb[0].item<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(lcb[1].item<double>(), (0.625 - std::sqrt(0.078125)) / 1.25, 1e-12);
  EXPECT_EQ(lcb[2].item<double>(), 0.0);
  EXPECT_THROW(rebalance::report_scores(metrics.report(), "recall_ucb"), c10::ValueError);
}

TEST(DynamicClassWeights, LogPredictionRatioCountsPredictions) {
  rebalance::ClassMetrics metrics(3);
  // targets 0,0,1,1,1,1; predictions 0,0,1,1,0,2: class 0 predicted 3 times (2 members),
  // class 1 twice (4 members), class 2 once (no members)
  metrics.update(at::tensor({0, 0, 1, 1, 0, 2}, at::kLong),
                 at::tensor({0, 0, 1, 1, 1, 1}, at::kLong));
  const at::Tensor r = rebalance::report_scores(metrics.report(), "log_prediction_ratio");
  EXPECT_NEAR(r[0].item<double>(), std::log(3.5 / 2.5), 1e-12);
  EXPECT_NEAR(r[1].item<double>(), std::log(2.5 / 4.5), 1e-12);
  EXPECT_EQ(r[2].item<double>(), 0.0);
}

TEST(DynamicClassWeights, RunningLossSurvivesArchiveMidWindow) {
  const at::Tensor loss = at::tensor({0.5, 1.5, 2.0, 0.1}, at::kDouble);
  const at::Tensor target = at::tensor({0, 0, 1, -100}, at::kLong);
  const auto no_warmup = rebalance::DynamicClassWeightsOptions().power(2.0).max_weight(1.4);
  rebalance::DynamicClassWeights a(at::ones({3}), no_warmup);
  a.accumulate_loss(loss, target);
  std::stringstream stream;
  torch::serialize::OutputArchive out;
  a.save(out);
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  rebalance::DynamicClassWeights b(at::ones({3}));
  b.load(in);
  // mean losses: class 0 -> 1.0, class 1 -> 2.0, class 2 unseen -> mean of the two scores
  const double s0 = std::exp(-1.0), s1 = std::exp(-2.0);
  rebalance::DynamicClassWeights twin(at::ones({3}), no_warmup);
  const at::Tensor expected = twin.update(at::tensor({s0, s1, 0.5 * (s0 + s1)}, at::kDouble));
  EXPECT_TRUE(a.update_from_running_loss().equal(expected));
  EXPECT_TRUE(b.update_from_running_loss().equal(expected));
  EXPECT_GT(expected[1].item<float>(), expected[0].item<float>());
  EXPECT_THROW(a.update_from_running_loss(), c10::ValueError);
}

TEST(DynamicClassWeights, BadScores) {
  rebalance::DynamicClassWeights w(at::ones({3}));
  EXPECT_THROW(w.update(at::tensor({0.1, NAN, 0.2}, at::kDouble)), c10::ValueError);
  EXPECT_THROW(w.update(at::tensor({0.1, 1.2, 0.2}, at::kDouble)), c10::ValueError);
  EXPECT_THROW(w.update(at::tensor({0.1, 0.2}, at::kDouble)), c10::ValueError);
  EXPECT_EQ(w.epoch(), 0);
}

} // namespace
