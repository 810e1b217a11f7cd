#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {
namespace cpu {

/// CPU kernel of rebalance::_softmax_focal_loss_forward: one fused pass per row of C logits
/// (log-sum-exp, loss, and when compute_grad the gradient row). Picks the AVX2 or the portable
/// build at run time.
std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward_cpu(
    const at::Tensor& logits, const at::Tensor& target, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    int64_t ignore_index, double label_smoothing, bool compute_grad);

} // namespace cpu
} // namespace rebalance
