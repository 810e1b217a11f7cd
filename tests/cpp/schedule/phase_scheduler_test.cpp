#include "rebalance/schedule/phase_scheduler.h"
#include "rebalance/schedule/presets.h"
#include "rebalance/schedule/strategies.h"

#include <gtest/gtest.h>

namespace {

using rebalance::PhaseScheduler;
using rebalance::schedule::PhaseOptions;

TEST(PhaseScheduler, StepBudgetAndPlateauEndPhases) {
  PhaseScheduler s({PhaseOptions().name("a").steps(25),
                    PhaseOptions().name("b").patience(2).min_delta(0.01),
                    PhaseOptions().name("c").head_only(true)});
  const auto recall = at::full({2}, 0.5, at::kDouble);
  int steps = 0;
  while (!s.on_step()) ++steps;
  EXPECT_EQ(steps + 1, 25);
  EXPECT_TRUE(s.end_epoch(recall, 0.5).phase_changed);
  EXPECT_EQ(s.phase().name(), "b");
  EXPECT_FALSE(s.end_epoch(recall, 0.6).phase_changed);   // improves
  EXPECT_FALSE(s.end_epoch(recall, 0.605).phase_changed); // below min_delta: 1 epoch flat
  EXPECT_TRUE(s.end_epoch(recall, 0.6).phase_changed);    // 2 epochs flat: next phase
  EXPECT_EQ(s.phase().name(), "c");
  EXPECT_TRUE(s.phase().head_only());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(s.end_epoch(recall, 0.1).finished);
  EXPECT_EQ(s.best_epoch(), 3);
}

TEST(PhaseScheduler, SerializedStateRestoresExactly) {
  auto s = PhaseScheduler::preset("undersample_then_finetune", 8, 2.5);
  for (int e = 0; e < 5; ++e) {
    for (int i = 0; i < 7; ++i) s->on_step();
    s->end_epoch(at::tensor({0.1 * e, 0.2}, at::kDouble), 0.1 * e);
  }
  auto restored = PhaseScheduler::preset("standard", 1);
  restored->load_state_bytes(s->state_bytes());
  EXPECT_EQ(restored->describe(), s->describe());
  EXPECT_EQ(restored->phase().sampling_ratio(), 2.5);
  for (int e = 0; e < 3; ++e) {
    const auto recall = at::tensor({0.3, 0.05 * e}, at::kDouble);
    const auto a = s->end_epoch(recall, 0.3 + 0.1 * e);
    const auto b = restored->end_epoch(recall, 0.3 + 0.1 * e);
    EXPECT_EQ(a.phase_changed, b.phase_changed);
    EXPECT_EQ(a.is_best, b.is_best);
    EXPECT_EQ(a.finished, b.finished);
  }
  EXPECT_TRUE(restored->finished());
  EXPECT_TRUE(at::equal(restored->best_recall(), s->best_recall()));
}

TEST(PhaseScheduler, PhaseOptionsRoundTripThroughText) {
  const auto p = PhaseOptions().name("x").sampling("power").sampling_ratio(1.0 / 3.0)
                     .lr_factor(0.1).epochs(3).patience(4).min_delta(1e-7);
  const auto q = PhaseOptions::from_string(p.to_string());
  EXPECT_EQ(q.to_string(), p.to_string());
  EXPECT_EQ(q.sampling_ratio(), 1.0 / 3.0);
  EXPECT_THROW(PhaseOptions::from_string("epochs=two"), c10::ValueError);
  EXPECT_THROW(PhaseOptions::from_string("color=red"), c10::ValueError);
}

TEST(PhaseScheduler, EveryPresetBuilds) {
  for (const auto& name : rebalance::schedule::preset_names()) {
    auto s = PhaseScheduler::preset(name, 12);
    int64_t epochs = 0;
    for (const auto& p : s->phases()) epochs += p.epochs();
    EXPECT_EQ(epochs, 12) << name;
  }
}

TEST(Strategies, EpochBudgetFollowsValidationsPerEpoch) {
  using rebalance::schedule::make_strategy;
  using rebalance::schedule::set_epoch_budget;
  auto dynamic = make_strategy("dynamic", 8);
  EXPECT_EQ(dynamic.validations_per_epoch, 4);
  set_epoch_budget(dynamic, 12406);
  ASSERT_TRUE(dynamic.sampler.budget().has_value());
  EXPECT_EQ(*dynamic.sampler.budget(), 3102);  // ceil(12406 / 4)
  auto drs = make_strategy("drs", 8);
  set_epoch_budget(drs, 12406);
  EXPECT_FALSE(drs.sampler.budget().has_value());  // one validation per pass: the train size
  drs.validations_per_epoch = 0;
  EXPECT_THROW(set_epoch_budget(drs, 12406), c10::ValueError);
  drs.validations_per_epoch = 2;
  EXPECT_THROW(set_epoch_budget(drs, -1), c10::ValueError);
}

} // namespace
