#include "strategy_loss.h"

#include <rebalance/nn/focal_loss.h>
#include <rebalance/ops/ldam_loss.h>
#include <rebalance/weighting/logit_adjusted_cross_entropy.h>

namespace fmnist {

StrategyLoss::StrategyLoss(const rebalance::schedule::Strategy& strategy,
                           const std::vector<int64_t>& counts)
    : strategy_(strategy) {
  const auto n = torch::tensor(counts, torch::kLong);
  log_prior_ = rebalance::log_prior_from_counts(n).to(torch::kFloat);
  margins_ = rebalance::ldam_margins(n, strategy.ldam_max_margin).to(torch::kFloat);
  TORCH_CHECK_VALUE(strategy.loss == "softmax_focal" || strategy.loss == "logit_adjusted" ||
                        strategy.loss == "ldam",
                    "fmnist_lt: unknown loss '", strategy.loss, "'");
}

torch::Tensor StrategyLoss::operator()(const torch::Tensor& logits, const torch::Tensor& target,
                                       const torch::Tensor& class_weight) const {
  rebalance::optional<torch::Tensor> weight;
  if (class_weight.defined()) weight = class_weight;
  if (strategy_.loss == "logit_adjusted") {
    return rebalance::logit_adjusted_cross_entropy(logits, target, log_prior_, strategy_.tau,
                                                   weight);
  }
  if (strategy_.loss == "ldam") {
    return rebalance::ldam_loss(logits, target, margins_, strategy_.ldam_scale, weight);
  }
  if (strategy_.gamma == 0) {
    return torch::nn::functional::cross_entropy(
        logits, target, torch::nn::functional::CrossEntropyFuncOptions().weight(class_weight));
  }
  return rebalance::nn::functional::softmax_focal_loss(
      logits, target,
      rebalance::nn::FocalLossOptions().gamma(strategy_.gamma).class_weight(class_weight));
}

torch::Tensor StrategyLoss::evaluation_logits(const torch::Tensor& logits) const {
  if (strategy_.posthoc_tau == 0) return logits;
  return logits - strategy_.posthoc_tau * log_prior_;
}

} // namespace fmnist
