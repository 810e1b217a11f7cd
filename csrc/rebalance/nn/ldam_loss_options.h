#pragma once

#include "rebalance/nn/focal_loss_options.h"

namespace rebalance {
namespace nn {

/// Options for LDAMLoss (LibTorch style).
/// Example: `LDAMLoss(LDAMLossOptions(rebalance::ldam_margins(counts)).scale(5.0))`.
struct LDAMLossOptions {
  using reduction_t = FocalLossOptions::reduction_t;

  /* implicit */ LDAMLossOptions(torch::Tensor margins = {}) : margins_(std::move(margins)) {}

  /// Per-class margins of shape (C,), finite and >= 0 (rebalance::ldam_margins). Required.
  TORCH_ARG(torch::Tensor, margins);
  /// Logit scale s, finite and > 0 (Cao et al.: 30 with a normalized classifier). Default: 30.0.
  TORCH_ARG(double, scale) = 30.0;
  /// Per-class weight of shape (C,), non-negative; undefined means no weighting. Default: {}.
  TORCH_ARG(torch::Tensor, class_weight) = {};
  /// torch::kNone, torch::kMean or torch::kSum. Default: torch::kMean.
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
  /// Target value that contributes neither loss nor gradient. Default: -100.
  TORCH_ARG(int64_t, ignore_index) = -100;
};

} // namespace nn
} // namespace rebalance
