#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {
namespace cpu {

/// CPU kernel of rebalance::_sigmoid_focal_loss_forward: one fused pass over logits and targets
/// that writes the loss (or its reduction) and, when compute_grad, d(loss_i)/d(logits_i).
/// Picks the AVX2 or the portable build at run time.
std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward_cpu(
    const at::Tensor& logits, const at::Tensor& targets, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction, bool compute_grad);

} // namespace cpu
} // namespace rebalance
