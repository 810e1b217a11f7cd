#pragma once

#include <ATen/ATen.h>

namespace rebalance {
namespace autograd {

/// Shared backward of the fused losses: the forward saved d(loss_i)/d(logits) as `saved` and
/// the reduction's float64 normalizer (a 0-dim tensor on the CPU or on saved's device);
/// returns grad_output * saved, with grad_output broadcast per element ("none") or scaled by
/// 1 / normalizer ("mean" or "sum"), without copying anything from the device to the host.
/// `op` names the loss in errors.
at::Tensor scale_saved_gradient(const char* op, const at::Tensor& grad_output,
                                const at::Tensor& saved, bool reduced,
                                const at::Tensor& normalizer);

} // namespace autograd
} // namespace rebalance
