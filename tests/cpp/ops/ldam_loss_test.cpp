#include "rebalance/nn/ldam_loss.h"
#include "rebalance/ops/ldam_loss.h"
#include "rebalance/schedule/strategies.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

namespace {

namespace F = torch::nn::functional;

// Reference written from ATen composites: cross-entropy of s * (z - margins[y] * onehot(y)).
torch::Tensor reference_ldam(const torch::Tensor& z, const torch::Tensor& y,
                             const torch::Tensor& margins, double scale, const torch::Tensor& w) {
  const auto onehot = F::one_hot(y, z.size(1)).to(z.scalar_type());
  return F::cross_entropy(scale * (z - onehot * margins.unsqueeze(0)), y,
                          F::CrossEntropyFuncOptions().weight(w));
}

TEST(LDAMLossOp, MatchesCompositeReferenceInValueAndGradient) {
  torch::manual_seed(4);
  const auto y = torch::randint(0, 6, {17});
  const auto margins = rebalance::ldam_margins(torch::tensor({500, 200, 80, 30, 10, 3}), 0.5)
                           .to(torch::kDouble);
  const auto w = torch::rand({6}, torch::kDouble) + 0.2;
  for (double scale : {1.0, 4.0, 30.0}) {
    for (const auto& weight : {torch::Tensor(), w}) {
      auto x = (torch::randn({17, 6}, torch::kDouble) * 2).requires_grad_(true);
      auto x_ref = x.detach().clone().requires_grad_(true);
      rebalance::optional<torch::Tensor> opt_weight;
      if (weight.defined()) opt_weight = weight;
      const auto ours = rebalance::ldam_loss(x, y, margins, scale, opt_weight);
      const auto ref = reference_ldam(x_ref, y, margins, scale, weight);
      ours.backward();
      ref.backward();
      EXPECT_TRUE(torch::allclose(ours, ref, 1e-10, 1e-12)) << scale;
      EXPECT_TRUE(torch::allclose(x.grad(), x_ref.grad(), 1e-10, 1e-12)) << scale;
    }
  }
}

TEST(LDAMLossOp, MarginsFollowTheQuarterPowerOfTheCounts) {
  const auto m = rebalance::ldam_margins(torch::tensor({16.0, 1.0, 81.0}, torch::kDouble), 0.6);
  EXPECT_TRUE(torch::allclose(m, torch::tensor({0.3, 0.6, 0.2}, torch::kDouble)));
}

TEST(LDAMLossOp, RejectsBadInputsNamingTheOp) {
  const auto x = torch::randn({4, 3});
  const auto y = torch::tensor({0, 1, 2, 1});
  const auto m = torch::tensor({0.1f, 0.2f, 0.5f});
  EXPECT_THROW(rebalance::ldam_loss(x, y, m.slice(0, 0, 2)), c10::ValueError);
  EXPECT_THROW(rebalance::ldam_loss(x, y, -m), c10::ValueError);
  EXPECT_THROW(rebalance::ldam_loss(x, y, m, std::nan("")), c10::ValueError);
  EXPECT_THROW(rebalance::ldam_loss(x, torch::tensor({0, 1, 3, 1}), m), c10::IndexError);
  try {
    rebalance::ldam_loss(x, y, m, 0.0);
    FAIL() << "scale 0 accepted";
  } catch (const c10::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("ldam_loss: scale must be finite and > 0, got 0"),
              std::string::npos)
        << e.what();
  }
}

TEST(LDAMLossModule, CarriesMarginsAndWeightsAsBuffers) {
  const auto margins = torch::tensor({0.2, 0.5, 0.3}, torch::kDouble);
  const auto w = torch::tensor({1.0, 3.0, 0.5}, torch::kDouble);
  rebalance::nn::LDAMLoss loss(rebalance::nn::LDAMLossOptions(margins).scale(5.0).class_weight(w));
  EXPECT_EQ(loss->buffers().size(), 2u);
  const auto x = torch::randn({8, 3}, torch::kDouble);
  const auto y = torch::randint(0, 3, {8});
  EXPECT_TRUE(torch::allclose(loss(x, y), reference_ldam(x, y, margins, 5.0, w)));
  std::ostringstream out;
  out << *loss;
  EXPECT_EQ(out.str(), "rebalance::nn::LDAMLoss(classes=3, scale=5, reduction=kMean, "
                       "ignore_index=-100)");
  EXPECT_THROW(rebalance::nn::LDAMLoss(rebalance::nn::LDAMLossOptions()), c10::ValueError);
}

TEST(Strategies, LiteratureBaselinesNameTheirLosses) {
  using rebalance::schedule::make_strategy;
  const auto la = make_strategy("logit_adjusted", 8);
  EXPECT_EQ(la.loss, "softmax_focal");
  EXPECT_EQ(la.gamma, 0);
  EXPECT_EQ(la.posthoc_tau, 1);
  const auto bs = make_strategy("balanced_softmax", 8);
  EXPECT_EQ(bs.loss, "logit_adjusted");
  EXPECT_EQ(bs.tau, 1);
  EXPECT_EQ(bs.posthoc_tau, 0);
  const auto ldam = make_strategy("ldam_drw", 8);
  EXPECT_EQ(ldam.loss, "ldam");
  ASSERT_EQ(ldam.phases.size(), 2u);
  EXPECT_EQ(ldam.phases[0].weighting(), "none");
  EXPECT_EQ(ldam.phases[1].weighting(), "effective_number");
  EXPECT_EQ(make_strategy("ce", 8).loss, "softmax_focal");
}

} // namespace
