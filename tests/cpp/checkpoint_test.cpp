// Hand-made and damaged states of every stateful class: each is rejected on load with
// "<class>: corrupted or incompatible checkpoint" and leaves the object unchanged.
#include "rebalance/checkpoint.h"
#include "rebalance/metrics/class_metrics.h"
#include "rebalance/sampling/adaptive_sampler.h"
#include "rebalance/schedule/phase_scheduler.h"
#include "rebalance/weighting/dynamic_class_weights.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <limits>
#include <string>

namespace {

using torch::serialize::OutputArchive;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const double kNaN = std::nan("");

// Expects `load` to throw a ValueError naming `cls` and the corruption.
template <class F>
void expect_rejected(const std::string& cls, F&& load) {
  try {
    load();
    ADD_FAILURE() << cls << ": a bad state loaded";
  } catch (const c10::ValueError& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_EQ(msg.rfind(cls + ": corrupted or incompatible checkpoint", 0), 0u) << msg;
  }
}

at::Tensor dcw_state(at::Tensor base, at::Tensor weights, int64_t epoch) {
  return rebalance::checkpoint::to_bytes("DynamicClassWeights", 1, [&](OutputArchive& a) {
    a.write("options", at::tensor({1.0, 0.01, 0.0, 0.0, INFINITY, 0.0}, at::kDouble));
    a.write("base", base);
    a.write("weights", weights);
    a.write("epoch", at::scalar_tensor(epoch, at::kLong));
    a.write("loss_sum", at::zeros({3}, at::kDouble));
    a.write("loss_count", at::zeros({3}, at::kDouble));
  });
}

TEST(Checkpoint, DynamicClassWeightsRejectsInsaneValues) {
  rebalance::DynamicClassWeights w(at::ones({3}));
  const auto ones = at::ones({3}, at::kDouble);
  w.load_state_bytes(dcw_state(ones, ones, 2));  // the hand-made frame itself is valid
  EXPECT_EQ(w.epoch(), 2);
  const auto load = [&](const at::Tensor& bytes) { return [&, bytes] { w.load_state_bytes(bytes); }; };
  expect_rejected("DynamicClassWeights", load(dcw_state(ones, at::full({3}, kNaN, at::kDouble), 0)));
  expect_rejected("DynamicClassWeights", load(dcw_state(ones, ones, kMin)));
  expect_rejected("DynamicClassWeights", load(dcw_state(-ones, ones, 0)));
  expect_rejected("DynamicClassWeights", load(dcw_state(ones, ones * 9e242, 0)));
  expect_rejected("DynamicClassWeights", load(dcw_state(ones * 2, ones, 0)));
  EXPECT_EQ(w.epoch(), 2);
  EXPECT_TRUE(w.weights_double().equal(ones));
}

at::Tensor scheduler_state(std::vector<int64_t> counters, std::vector<double> values) {
  return rebalance::checkpoint::to_bytes("PhaseScheduler", 1, [&](OutputArchive& a) {
    a.write("phases", c10::IValue(std::vector<std::string>{"name=a;epochs=3", "name=b"}));
    a.write("counters", at::tensor(counters, at::kLong));
    a.write("values", at::tensor(values, at::kDouble));
    a.write("best_recall", at::full({2}, 0.5, at::kDouble));
  });
}

TEST(Checkpoint, PhaseSchedulerRejectsInconsistentCounters) {
  auto s = rebalance::PhaseScheduler::preset("standard", 4);
  // phase, epoch, step, epochs in phase, steps in phase, best epoch, since improvement, finished
  s->load_state_bytes(scheduler_state({1, 5, 50, 2, 20, 4, 1, 0}, {0.2, 0.5, 0.5}));
  EXPECT_EQ(s->best_epoch(), 4);
  const auto load = [&](const at::Tensor& bytes) { return [&, bytes] { s->load_state_bytes(bytes); }; };
  expect_rejected("PhaseScheduler", load(scheduler_state({1, 5, 50, 2, 20, 6, 1, 0}, {0.2, 0.5, 0.5})));
  expect_rejected("PhaseScheduler", load(scheduler_state({1, 5, kMin, 2, 20, 4, 1, 0}, {0.2, 0.5, 0.5})));
  expect_rejected("PhaseScheduler", load(scheduler_state({1, 5, 50, 2, 20, 4, 1, 0}, {0.2, kNaN, 0.5})));
  expect_rejected("PhaseScheduler", load(scheduler_state({2, 5, 50, 2, 20, 4, 1, 0}, {0.2, 0.5, 0.5})));
  EXPECT_EQ(s->best_epoch(), 4);
}

at::Tensor metrics_state(at::Tensor counts, at::Tensor previous) {
  return rebalance::checkpoint::to_bytes("ClassMetrics", 1, [&](OutputArchive& a) {
    a.write("num_classes", int64_t{2});
    a.write("ignore_index", int64_t{-100});
    a.write("state", counts);
    a.write("previous_f1", previous);
  });
}

TEST(Checkpoint, ClassMetricsRejectsOutOfRangeValues) {
  rebalance::ClassMetrics m(2);
  const auto counts = at::tensor({1, 2, 3, 4}, at::kLong).view({2, 2});
  m.load_state_bytes(metrics_state(counts, at::full({2}, 0.5, at::kDouble)));
  EXPECT_TRUE(m.state().equal(counts));
  const auto load = [&](const at::Tensor& bytes) { return [&, bytes] { m.load_state_bytes(bytes); }; };
  expect_rejected("ClassMetrics", load(metrics_state(counts, at::full({2}, -1e300, at::kDouble))));
  expect_rejected("ClassMetrics", load(metrics_state(-counts, at::empty({0}, at::kDouble))));
  expect_rejected("ClassMetrics", load(metrics_state(counts * (int64_t{1} << 61), at::empty({0}, at::kDouble))));
  EXPECT_TRUE(m.state().equal(counts));
}

TEST(Checkpoint, AdaptiveSamplerRejectsDamagedStateAndOldArchives) {
  rebalance::AdaptiveSampler sampler(at::tensor({0, 1, 1, 2}, at::kLong), 3);
  const auto good = sampler.state_bytes();
  for (int64_t cut : {int64_t{0}, int64_t{3}, good.numel() / 2, good.numel() - 1}) {
    expect_rejected("AdaptiveSampler", [&] { sampler.load_state_bytes(good.narrow(0, 0, cut)); });
  }
  for (int64_t at_byte = 0; at_byte < good.numel(); at_byte += 7) {
    auto bad = good.clone();
    bad[at_byte] = bad[at_byte].item<int64_t>() ^ 0x10;
    expect_rejected("AdaptiveSampler", [&] { sampler.load_state_bytes(bad); });
  }
  // An archive without the framed entry (the format before framing) is refused by name.
  torch::serialize::OutputArchive old;
  old.write("labels", at::zeros({4}, at::kLong));
  std::string bytes;
  old.save_to([&](const void* d, size_t n) {
    bytes.append(static_cast<const char*>(d), n);
    return n;
  });
  torch::serialize::InputArchive in;
  in.load_from(bytes.data(), bytes.size());
  expect_rejected("AdaptiveSampler", [&] { sampler.load(in); });
  // Another class's state is not this one's.
  expect_rejected("AdaptiveSampler", [&] {
    sampler.load_state_bytes(rebalance::ClassMetrics(2).state_bytes());
  });
  sampler.load_state_bytes(good);
}

} // namespace
