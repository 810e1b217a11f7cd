#include "rebalance/nn/focal_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

namespace {

// Trains two identical linear classifiers for a few SGD steps, one with `loss_fn`, one with
// torch::nn::CrossEntropyLoss, and returns the largest parameter difference.
template <typename Loss>
double train_and_compare(Loss loss_fn, torch::nn::CrossEntropyLoss reference) {
  torch::manual_seed(3);
  torch::nn::Linear ours(8, 4), theirs(8, 4);
  {
    torch::NoGradGuard no_grad;
    theirs->weight.copy_(ours->weight);
    theirs->bias.copy_(ours->bias);
  }
  torch::optim::SGD opt_ours(ours->parameters(), 0.5), opt_theirs(theirs->parameters(), 0.5);
  for (int step = 0; step < 5; ++step) {
    auto x = torch::randn({16, 8});
    auto y = torch::randint(0, 4, {16});
    opt_ours.zero_grad();
    loss_fn(ours(x), y).backward();
    opt_ours.step();
    opt_theirs.zero_grad();
    reference(theirs(x), y).backward();
    opt_theirs.step();
  }
  return std::max((ours->weight - theirs->weight).abs().max().item<double>(),
                  (ours->bias - theirs->bias).abs().max().item<double>());
}

TEST(SoftmaxFocalLossModule, DropsInForCrossEntropyLossAtGammaZero) {
  auto w = torch::tensor({1.0f, 2.0f, 0.5f, 1.5f});
  rebalance::nn::SoftmaxFocalLoss focal(
      rebalance::nn::FocalLossOptions().gamma(0.0).class_weight(w).label_smoothing(0.1));
  torch::nn::CrossEntropyLoss ce(torch::nn::CrossEntropyLossOptions().weight(w).label_smoothing(0.1));
  EXPECT_LT(train_and_compare(focal, ce), 1e-5);
}

TEST(SoftmaxFocalLossModule, FocusingChangesTheTrajectory) {
  rebalance::nn::SoftmaxFocalLoss focal(rebalance::nn::FocalLossOptions().gamma(2.0));
  EXPECT_GT(train_and_compare(focal, torch::nn::CrossEntropyLoss()), 1e-4);
}

TEST(FocalLossModules, ClassWeightIsABufferThatSerializes) {
  auto w = torch::tensor({0.5, 2.0, 1.0});
  rebalance::nn::SigmoidFocalLoss sigmoid(rebalance::nn::FocalLossOptions().class_weight(w));
  auto buffers = sigmoid->named_buffers();
  ASSERT_TRUE(buffers.contains("class_weight"));
  EXPECT_TRUE(torch::equal(buffers["class_weight"], w));

  std::stringstream stream;
  torch::save(sigmoid, stream);
  rebalance::nn::SigmoidFocalLoss restored(
      rebalance::nn::FocalLossOptions().class_weight(torch::ones({3})));
  torch::load(restored, stream);
  EXPECT_TRUE(torch::equal(restored->class_weight, w));

  auto x = torch::randn({4, 3});
  auto t = (torch::rand({4, 3}) > 0.5).to(torch::kFloat);
  EXPECT_TRUE(torch::allclose(restored(x, t), sigmoid(x, t)));
  auto cloned = std::dynamic_pointer_cast<rebalance::nn::SigmoidFocalLossImpl>(sigmoid->clone());
  ASSERT_TRUE(cloned);
  EXPECT_TRUE(torch::allclose(cloned->forward(x, t), sigmoid(x, t)));

  std::ostringstream printed;
  printed << *sigmoid;
  EXPECT_NE(printed.str().find("SigmoidFocalLoss(alpha=0.25, gamma=2"), std::string::npos);
}

} // namespace
