#pragma once

#include "rebalance/compat.h"
#include <torch/arg.h>
#include <torch/enum.h>
#include <torch/types.h>

namespace rebalance {
namespace nn {

/// Options for SigmoidFocalLoss and SoftmaxFocalLoss (LibTorch style).
/// Example: `SoftmaxFocalLoss(FocalLossOptions().gamma(1.0).class_weight(w))`.
struct FocalLossOptions {
  typedef rebalance::variant<torch::enumtype::kNone, torch::enumtype::kMean,
                             torch::enumtype::kSum>
      reduction_t;

  /// Focusing parameter, >= 0; 0 gives (weighted) cross-entropy. Default: 2.0.
  TORCH_ARG(double, gamma) = 2.0;
  /// Sigmoid only: positive/negative balance in [0, 1]; < 0 disables it. Default: 0.25.
  TORCH_ARG(double, alpha) = 0.25;
  /// Per-class weight of shape (C,), non-negative; undefined means no weighting. Default: {}.
  TORCH_ARG(torch::Tensor, class_weight) = {};
  /// torch::kNone, torch::kMean or torch::kSum. Default: torch::kMean.
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
  /// Softmax only: target value that contributes neither loss nor gradient. Default: -100.
  TORCH_ARG(int64_t, ignore_index) = -100;
  /// Softmax only: label smoothing in [0, 1]. Default: 0.0.
  TORCH_ARG(double, label_smoothing) = 0.0;
};

/// Same options; named for the sigmoid loss.
using SigmoidFocalLossOptions = FocalLossOptions;
/// Same options; named for the softmax loss.
using SoftmaxFocalLossOptions = FocalLossOptions;

} // namespace nn
} // namespace rebalance
