#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

namespace rebalance {
namespace autograd {

/// Autograd kernel of rebalance::softmax_focal_loss: fused forward that also computes the
/// gradient rows when logits require grad; backward scales them. No gradient flows to
/// class_weight.
at::Tensor softmax_focal_loss_autograd(const at::Tensor& logits, const at::Tensor& target,
                                       double gamma,
                                       const rebalance::optional<at::Tensor>& class_weight,
                                       rebalance::string_view reduction, int64_t ignore_index,
                                       double label_smoothing);

} // namespace autograd
} // namespace rebalance
