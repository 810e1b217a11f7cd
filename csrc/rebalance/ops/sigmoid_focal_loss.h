#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {

/// Sigmoid (one-vs-rest) focal loss, Lin et al. 2017:
///   loss = alpha_t * w_c * (1 - p_t)^gamma * BCEWithLogits(x, t),
///   p = sigmoid(x), p_t = p t + (1 - p)(1 - t), alpha_t = alpha t + (1 - alpha)(1 - t).
/// logits: any shape, floating point; targets: same shape, values in [0, 1].
/// alpha < 0 disables the alpha term; gamma >= 0. class_weight: (C,) with C = logits.size(-1),
/// non-negative, multiplies each element by the weight of its last-dimension index.
/// reduction: "none" (shape of logits), "mean" (over all elements; 0 for an empty input) or "sum".
/// Goes through the dispatcher: autograd (d/d logits) and device dispatch apply.
at::Tensor sigmoid_focal_loss(const at::Tensor& logits, const at::Tensor& targets,
                              double alpha = 0.25, double gamma = 2.0,
                              const rebalance::optional<at::Tensor>& class_weight = rebalance::nullopt,
                              rebalance::string_view reduction = "mean");

namespace detail {

/// Validates the arguments of sigmoid_focal_loss (shared by every backend); check_values as in
/// check_class_weight (the CUDA kernels pass rebalance::checks_enabled()).
void check_sigmoid_focal_loss_args(const at::Tensor& logits, const at::Tensor& targets,
                                   double alpha, double gamma,
                                   const rebalance::optional<at::Tensor>& class_weight,
                                   bool check_values = true);

/// Backend entry (op rebalance::_sigmoid_focal_loss_forward): returns (loss, grad, normalizer)
/// where grad = d(unreduced weighted loss)/d(logits) (undefined unless compute_grad) and
/// normalizer is the float64 scalar the "mean" reduction divides by (1 otherwise), on the
/// logits' device (the backward reads it without a device-to-host copy).
std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward(
    const at::Tensor& logits, const at::Tensor& targets, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction, bool compute_grad);

/// Kernel of rebalance::sigmoid_focal_loss below autograd, shared by every backend: the loss of
/// sigmoid_focal_loss_forward without its gradient.
at::Tensor sigmoid_focal_loss_no_grad(const at::Tensor& logits, const at::Tensor& targets,
                                      double alpha, double gamma,
                                      const rebalance::optional<at::Tensor>& class_weight,
                                      rebalance::string_view reduction);

} // namespace detail
} // namespace rebalance
