#include "rebalance/ops/sigmoid_focal_loss.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace {

namespace F = torch::nn::functional;

// Independent references written with ATen composites (torchvision's formula for sigmoid).
torch::Tensor reference_sigmoid_focal(const torch::Tensor& x, const torch::Tensor& t, double alpha,
                                      double gamma) {
  auto p = torch::sigmoid(x);
  auto ce = F::binary_cross_entropy_with_logits(
      x, t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  auto p_t = p * t + (1 - p) * (1 - t);
  auto loss = ce * torch::pow(1 - p_t, gamma);
  if (alpha >= 0) loss = (alpha * t + (1 - alpha) * (1 - t)) * loss;
  return loss;
}

torch::Tensor reference_softmax_focal(const torch::Tensor& x, const torch::Tensor& y, double gamma,
                                      const torch::Tensor& w) {
  auto logp = torch::log_softmax(x, 1).gather(1, y.unsqueeze(1)).squeeze(1);
  return -w.index_select(0, y) * torch::pow(1 - logp.exp(), gamma) * logp;
}

std::pair<torch::Tensor, torch::Tensor> value_and_grad(
    const std::function<torch::Tensor(const torch::Tensor&)>& fn, const torch::Tensor& x0) {
  auto x = x0.detach().clone().requires_grad_(true);
  auto out = fn(x);
  auto grad = torch::autograd::grad({out.sum()}, {x})[0];
  return {out.detach(), grad};
}

TEST(SigmoidFocalLossOp, MatchesCompositeReferenceInValueAndGradient) {
  torch::manual_seed(0);
  auto x = torch::randn({13, 7}, torch::kDouble) * 3;
  auto t = (torch::rand({13, 7}, torch::kDouble) > 0.6).to(torch::kDouble);
  for (double gamma : {0.0, 0.5, 2.0, 2.5}) {
    for (double alpha : {0.25, -1.0}) {
      auto ours = value_and_grad(
          [&](const torch::Tensor& z) {
            return rebalance::sigmoid_focal_loss(z, t, alpha, gamma, rebalance::nullopt, "none");
          },
          x);
      auto ref = value_and_grad(
          [&](const torch::Tensor& z) { return reference_sigmoid_focal(z, t, alpha, gamma); }, x);
      EXPECT_TRUE(torch::allclose(ours.first, ref.first, 1e-10, 1e-12)) << gamma << " " << alpha;
      EXPECT_TRUE(torch::allclose(ours.second, ref.second, 1e-10, 1e-12)) << gamma << " " << alpha;
    }
  }
}

TEST(SoftmaxFocalLossOp, MatchesCompositeReferenceWithClassWeights) {
  torch::manual_seed(1);
  auto x = torch::randn({11, 6}, torch::kDouble) * 2;
  auto y = torch::randint(0, 6, {11});
  auto w = torch::rand({6}, torch::kDouble) + 0.1;
  for (double gamma : {0.0, 1.0, 2.0, 0.7}) {
    auto ours = value_and_grad(
        [&](const torch::Tensor& z) {
          return rebalance::softmax_focal_loss(z, y, gamma, w, "sum");
        },
        x);
    auto ref = value_and_grad(
        [&](const torch::Tensor& z) { return reference_softmax_focal(z, y, gamma, w).sum(); }, x);
    EXPECT_TRUE(torch::allclose(ours.first, ref.first, 1e-10, 1e-12)) << gamma;
    EXPECT_TRUE(torch::allclose(ours.second, ref.second, 1e-10, 1e-12)) << gamma;
  }
}

TEST(SoftmaxFocalLossOp, GammaZeroEqualsCrossEntropyWithIgnoreIndexAndSmoothing) {
  torch::manual_seed(2);
  auto x = torch::randn({4, 5, 3}, torch::kDouble);
  auto y = torch::randint(0, 5, {4, 3});
  y.index_put_({0, 1}, -100);
  auto w = torch::rand({5}, torch::kDouble) + 0.2;
  auto ours = value_and_grad(
      [&](const torch::Tensor& z) {
        return rebalance::softmax_focal_loss(z, y, 0.0, w, "mean", -100, 0.15);
      },
      x);
  auto ref = value_and_grad(
      [&](const torch::Tensor& z) {
        return F::cross_entropy(
            z, y, F::CrossEntropyFuncOptions().weight(w).ignore_index(-100).label_smoothing(0.15));
      },
      x);
  EXPECT_TRUE(torch::allclose(ours.first, ref.first, 1e-10, 1e-12));
  EXPECT_TRUE(torch::allclose(ours.second, ref.second, 1e-10, 1e-12));
}

TEST(FocalLossOps, BadInputGivesErrorsThatNameTheOp) {
  auto x = torch::randn({3, 2});
  try {
    rebalance::softmax_focal_loss(x, torch::tensor({0, 5, 1}));
    FAIL() << "out-of-range target accepted";
  } catch (const c10::IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("softmax_focal_loss: target must be in [0, 2)"),
              std::string::npos);
  }
  EXPECT_THROW(rebalance::sigmoid_focal_loss(x, torch::zeros({3, 3})), c10::ValueError);
  EXPECT_THROW(rebalance::sigmoid_focal_loss(x, torch::zeros({3, 2}), 0.25, 2.0, rebalance::nullopt,
                                             "average"),
               c10::ValueError);
  EXPECT_THROW(rebalance::softmax_focal_loss(x, torch::zeros({3}, torch::kInt)), c10::TypeError);
}

} // namespace
