#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

namespace rebalance {
namespace autograd {

/// Autograd kernel of rebalance::sigmoid_focal_loss: runs the fused forward (which also
/// computes the gradient when logits require grad) and records a node whose backward scales
/// that saved gradient. No gradient flows to targets or class_weight.
at::Tensor sigmoid_focal_loss_autograd(const at::Tensor& logits, const at::Tensor& targets,
                                       double alpha, double gamma,
                                       const rebalance::optional<at::Tensor>& class_weight,
                                       rebalance::string_view reduction);

} // namespace autograd
} // namespace rebalance
