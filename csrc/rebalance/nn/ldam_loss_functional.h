#pragma once

#include "rebalance/nn/ldam_loss_options.h"

namespace rebalance {
namespace nn {
namespace functional {

/// LDAM loss of `input` logits (N, C, ...) against int64 `target` (N, ...); see
/// rebalance::ldam_loss. Uses margins, scale, class_weight, reduction and ignore_index.
torch::Tensor ldam_loss(const torch::Tensor& input, const torch::Tensor& target,
                        const LDAMLossOptions& options);

} // namespace functional
} // namespace nn
} // namespace rebalance
