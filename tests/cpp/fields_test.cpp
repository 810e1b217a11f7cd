// Options declared once: the field lists drive schema, repr, archive save/load and the
// "key=value" text, and states saved before a field existed load with its default.
#include "rebalance/checkpoint.h"
#include "rebalance/fields.h"
#include "rebalance/metrics/class_metrics.h"
#include "rebalance/schedule/phase_options.h"
#include "rebalance/weighting/dynamic_class_weights.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <string>

namespace {

using rebalance::ClassMetrics;
using rebalance::ClassMetricsOptions;
using rebalance::DynamicClassWeightsOptions;

TEST(Fields, SchemaListsEveryFieldWithItsDefault) {
  const auto schema = rebalance::fields::schema<DynamicClassWeightsOptions>();
  ASSERT_EQ(schema.size(), 6u);
  EXPECT_EQ(schema[0].name, "power");
  EXPECT_EQ(schema[0].type, "float");
  EXPECT_EQ(schema[0].default_repr, "1.0");
  EXPECT_EQ(schema[4].default_repr, "inf");
  EXPECT_EQ(schema[5].name, "warmup_epochs");
  EXPECT_EQ(schema[5].type, "int");
  EXPECT_EQ(schema[5].default_repr, "0");
  EXPECT_FALSE(schema[2].doc.empty());
}

TEST(Fields, ReprAndTextRoundTrip) {
  const auto phase = rebalance::schedule::PhaseOptions().name("x").lr_factor(0.1).head_only(true);
  EXPECT_EQ(rebalance::fields::repr(phase),
            "name='x', sampling='instance', sampling_ratio=1.0, weighting='none', lr_factor=0.1, "
            "head_only=True, epochs=0, steps=0, patience=0, min_delta=0.0001");
  const auto back = rebalance::schedule::PhaseOptions::from_string(phase.to_string());
  EXPECT_EQ(back.to_string(), phase.to_string());
  EXPECT_TRUE(back.head_only());
  EXPECT_EQ(back.lr_factor(), 0.1);
}

TEST(Fields, NewFieldRoundTripsThroughCtorSaveAndLoad) {
  ClassMetrics m(3, ClassMetricsOptions().ignore_index(7).zero_division(1.0));
  EXPECT_EQ(m.repr(), "ClassMetrics(C=3, samples=0, ignore_index=7, zero_division=1.0)");
  EXPECT_TRUE(m.report().precision.equal(at::ones({3}, at::kDouble)));
  torch::serialize::OutputArchive out;
  m.save(out);
  std::string bytes;
  out.save_to([&](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  torch::serialize::InputArchive in;
  in.load_from(bytes.data(), bytes.size());
  ClassMetrics restored(1);
  restored.load(in);
  EXPECT_EQ(restored.repr(), m.repr());
  EXPECT_EQ(ClassMetrics::from_state_bytes(m.state_bytes()).options().zero_division(), 1.0);
}

TEST(Fields, StateWithoutANewFieldLoadsWithItsDefault) {
  // A version-1 ClassMetrics state, written before zero_division existed.
  const auto old = rebalance::checkpoint::to_bytes(
      "ClassMetrics", 1, [](torch::serialize::OutputArchive& a) {
        a.write("num_classes", int64_t{2});
        a.write("ignore_index", int64_t{5});
        a.write("state", at::tensor({1, 0, 0, 0}, at::kLong).view({2, 2}));
        a.write("previous_f1", at::empty({0}, at::kDouble));
      });
  const auto m = ClassMetrics::from_state_bytes(old);
  EXPECT_EQ(m.ignore_index(), 5);
  EXPECT_EQ(m.options().zero_division(), 0.0);
  EXPECT_EQ(m.report().recall[1].item<double>(), 0.0);
}

} // namespace
