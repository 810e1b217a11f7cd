#pragma once

#include <rebalance/schedule/strategies.h>

#include <torch/torch.h>

#include <vector>

namespace fmnist {

/// The loss a strategy trains with (rebalance::schedule::Strategy::loss) and the logits it
/// predicts with: softmax focal (cross-entropy at gamma 0), logit-adjusted cross-entropy or
/// LDAM, each with the phase's class weights; post-hoc logit adjustment at evaluation.
class StrategyLoss {
 public:
  /// counts: train images per class (the log prior and the LDAM margins).
  StrategyLoss(const rebalance::schedule::Strategy& strategy, const std::vector<int64_t>& counts);

  /// The mean loss of logits (N, C) against target (N); class_weight (C,) or undefined.
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& target,
                           const torch::Tensor& class_weight) const;

  /// The logits that validation and test take the argmax of: logits - posthoc_tau * log prior.
  torch::Tensor evaluation_logits(const torch::Tensor& logits) const;

 private:
  rebalance::schedule::Strategy strategy_;
  torch::Tensor log_prior_, margins_;
};

} // namespace fmnist
