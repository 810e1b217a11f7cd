#include "rebalance/sampling/adaptive_sampler.h"

#include <torch/torch.h>
#include <gtest/gtest.h>

#include <sstream>

namespace {

using rebalance::AdaptiveSampler;
using rebalance::AdaptiveSamplerOptions;
using rebalance::sampling::PolicyKind;
using rebalance::sampling::SamplingPolicyOptions;

// A dataset whose example i is i, so a batch shows which indices the loader drew.
struct IndexDataset : torch::data::datasets::Dataset<IndexDataset, int64_t> {
  explicit IndexDataset(size_t n) : n_(n) {}
  int64_t get(size_t index) override { return static_cast<int64_t>(index); }
  rebalance::optional<size_t> size() const override { return n_; }
  size_t n_;
};

at::Tensor labels_for_test() {
  std::vector<int64_t> y;
  for (int64_t i = 0; i < 90; ++i) y.push_back(i % 9 == 0 ? 0 : (i % 3 == 0 ? 1 : 2));
  return at::tensor(y, at::kLong);  // N_c = 10, 20, 60
}

template <typename Loader>
std::vector<int64_t> drain(Loader& loader, int64_t max_batches = -1) {
  std::vector<int64_t> seen;
  int64_t batches = 0;
  for (auto& batch : loader) {
    seen.insert(seen.end(), batch.begin(), batch.end());
    if (++batches == max_batches) break;
  }
  return seen;
}

std::vector<int64_t> as_vector(const at::Tensor& t) {
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

TEST(SamplingAdaptiveSampler, LoaderYieldsTheEpochPlan) {
  AdaptiveSampler sampler(labels_for_test(), 3,
                          AdaptiveSamplerOptions(PolicyKind::ClassBalanced).seed(4));
  auto loader = torch::data::make_data_loader(IndexDataset(90), sampler,
                                              torch::data::DataLoaderOptions(16));
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    sampler.set_epoch(epoch);
    const auto seen = drain(*loader);
    EXPECT_EQ(seen, as_vector(sampler.indices()));
    EXPECT_EQ(static_cast<int64_t>(seen.size()), sampler.size());
    std::vector<int64_t> per_class(3, 0);
    for (int64_t i : seen) ++per_class[i % 9 == 0 ? 0 : (i % 3 == 0 ? 1 : 2)];
    EXPECT_EQ(per_class, (std::vector<int64_t>{30, 30, 30}));
  }
}

TEST(SamplingAdaptiveSampler, UpdateThroughTheHandleChangesTheLoadersPlan) {
  AdaptiveSampler sampler(labels_for_test(), 3, AdaptiveSamplerOptions(PolicyKind::Dynamic));
  auto loader = torch::data::make_data_loader(IndexDataset(90), sampler, 8);
  EXPECT_EQ(sampler.draw_counts(), (std::vector<int64_t>{10, 20, 60}));
  sampler.update(at::tensor(std::vector<double>{0.2, 0.5, 0.9}));
  const auto counts = sampler.draw_counts();
  EXPECT_GT(counts[0], 10);
  EXPECT_LT(counts[2], 60);
  sampler.set_epoch(1);
  EXPECT_EQ(drain(*loader), as_vector(sampler.indices()));
  EXPECT_NE(sampler.describe().find("AdaptiveSampler[dynamic] epoch 1"), std::string::npos);
}

TEST(SamplingAdaptiveSampler, ResumesMidEpochWithExactlyTheRemainingIndices) {
  auto options = AdaptiveSamplerOptions(SamplingPolicyOptions(PolicyKind::Dynamic).step(2.0))
                     .seed(11)
                     .rank(1)
                     .world_size(2);
  AdaptiveSampler sampler(labels_for_test(), 3, options);
  sampler.update(at::tensor(std::vector<double>{0.1, 0.6, 0.8}));
  sampler.set_epoch(3);
  const auto epoch = as_vector(sampler.indices());
  auto loader = torch::data::make_data_loader(IndexDataset(90), sampler, 7);
  EXPECT_EQ(drain(*loader, 3), std::vector<int64_t>(epoch.begin(), epoch.begin() + 21));
  std::stringstream buffer;
  torch::serialize::OutputArchive out;
  sampler.save(out);
  out.save_to(buffer);
  const std::vector<int64_t> rest(epoch.begin() + 21, epoch.end());
  const auto saved_multipliers = sampler.policy().multipliers();
  // Updates after the checkpoint must not leak into the restored epoch.
  sampler.update(at::tensor(std::vector<double>{0.9, 0.1, 0.1}));

  AdaptiveSampler restored(at::zeros({5}, at::kLong), 1);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  restored.load(in);
  EXPECT_EQ(restored.epoch(), 3);
  EXPECT_EQ(restored.position(), 21);
  auto resumed = torch::data::make_data_loader(IndexDataset(90), restored, 7);
  EXPECT_EQ(drain(*resumed), rest);
  EXPECT_EQ(restored.policy().multipliers(), saved_multipliers);
  restored.set_epoch(4);
  EXPECT_EQ(drain(*resumed), as_vector(restored.indices()));
}

TEST(SamplingAdaptiveSampler, SetEpochAfterLoadStartsThatEpochsFreshPlan) {
  AdaptiveSampler sampler(labels_for_test(), 3, AdaptiveSamplerOptions().seed(5));
  sampler.set_epoch(2);
  auto loader = torch::data::make_data_loader(IndexDataset(90), sampler, 8);
  drain(*loader, 4);  // a checkpoint taken mid-epoch 2, resumed at epoch 3
  torch::serialize::OutputArchive out;
  sampler.save(out);
  std::stringstream buffer;
  out.save_to(buffer);
  AdaptiveSampler uninterrupted(labels_for_test(), 3, AdaptiveSamplerOptions().seed(5));
  uninterrupted.set_epoch(3);
  uninterrupted.reset();
  const auto expected = as_vector(uninterrupted.indices());

  AdaptiveSampler restored(at::zeros({5}, at::kLong), 1);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  restored.load(in);
  restored.set_epoch(3);
  auto resumed = torch::data::make_data_loader(IndexDataset(90), restored, 8);
  const auto drawn = drain(*resumed);
  EXPECT_EQ(drawn.size(), 90u);
  EXPECT_EQ(drawn, expected);
}

TEST(SamplingAdaptiveSampler, RejectsBadConfiguration) {
  const at::Tensor y = labels_for_test();
  EXPECT_THROW(AdaptiveSampler(y, 3, AdaptiveSamplerOptions().rank(2).world_size(2)),
               c10::ValueError);
  EXPECT_THROW(AdaptiveSampler(y, 3, SamplingPolicyOptions().budget(-5)), c10::ValueError);
  EXPECT_THROW(AdaptiveSampler(y, 2), c10::IndexError);
  AdaptiveSampler sampler(y, 3);
  EXPECT_THROW(sampler.update(at::tensor(std::vector<double>{0.1, NAN, 0.3})), c10::ValueError);
  EXPECT_THROW(sampler.update(at::ones({2})), c10::ValueError);
  EXPECT_THROW(sampler.reset(50), c10::ValueError);
}

} // namespace
