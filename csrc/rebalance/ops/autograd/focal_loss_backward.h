#pragma once

#include <ATen/ATen.h>

namespace rebalance {
namespace autograd {

/// Shared backward of the fused losses: the forward saved d(loss_i)/d(logits) as `saved` and
/// the "mean" normalizer; returns grad_output * saved, with grad_output broadcast per
/// element ("none") or scaled by 1 / normalizer ("mean"). `op` names the loss in errors.
at::Tensor scale_saved_gradient(const char* op, const at::Tensor& grad_output,
                                const at::Tensor& saved, bool reduced, double normalizer);

} // namespace autograd
} // namespace rebalance
