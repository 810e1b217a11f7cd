#pragma once

#include "rebalance/nn/focal_loss_options.h"

namespace rebalance {
namespace nn {
namespace functional {

/// Sigmoid focal loss of `input` logits against `target` of the same shape (values in [0, 1]);
/// see rebalance::sigmoid_focal_loss. Uses alpha, gamma, class_weight and reduction.
torch::Tensor sigmoid_focal_loss(const torch::Tensor& input, const torch::Tensor& target,
                                 const FocalLossOptions& options = {});

/// Softmax focal loss of `input` logits (N, C, ...) against int64 `target` (N, ...); see
/// rebalance::softmax_focal_loss. Uses gamma, class_weight, reduction, ignore_index and
/// label_smoothing.
torch::Tensor softmax_focal_loss(const torch::Tensor& input, const torch::Tensor& target,
                                 const FocalLossOptions& options = {});

namespace detail {

/// The op's reduction argument ("none", "mean", "sum") of a LibTorch-style reduction option.
const char* reduction_name(const FocalLossOptions::reduction_t& reduction);

} // namespace detail
} // namespace functional
} // namespace nn
} // namespace rebalance
