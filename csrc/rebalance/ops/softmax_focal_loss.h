#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {

/// Softmax (multi-class) focal loss with per-class weights, ignore_index and label smoothing:
///   loss_i = sum_c q_c * w_c * (1 - p_c)^gamma * (-log p_c),
///   p = softmax(logits) over dim 1, q = (1 - label_smoothing) * onehot(y) + label_smoothing / C.
/// With gamma = 0 this is torch.nn.functional.cross_entropy with the same arguments.
/// logits: (N, C) or (N, C, d1, ...) (or (C) unbatched); target: int64, (N) or (N, d1, ...).
/// class_weight: (C,) non-negative. reduction "mean" divides by the summed weight w_{y_i} of the
/// non-ignored targets (0 when there are none); "none" has the shape of target.
at::Tensor softmax_focal_loss(const at::Tensor& logits, const at::Tensor& target,
                              double gamma = 2.0,
                              const rebalance::optional<at::Tensor>& class_weight = rebalance::nullopt,
                              rebalance::string_view reduction = "mean", int64_t ignore_index = -100,
                              double label_smoothing = 0.0);

namespace detail {

/// Validates the arguments of softmax_focal_loss (shared by every backend); check_values as in
/// check_class_weight (the CUDA kernels pass rebalance::checks_enabled()).
void check_softmax_focal_loss_args(const at::Tensor& logits, const at::Tensor& target,
                                   double gamma, const rebalance::optional<at::Tensor>& class_weight,
                                   double label_smoothing, bool check_values = true);

/// The logits as contiguous rows of C classes, (N * d1 * ..., C): (C) becomes (1, C) and
/// (N, C, d1, ...) channels-last (the layout every backend's kernel and saved gradient use).
at::Tensor class_rows(const at::Tensor& logits);

/// Backend entry (op rebalance::_softmax_focal_loss_forward): returns (loss, grad, normalizer).
/// grad: d(unreduced loss)/d(logits) laid out as (N * d1 * ..., C) rows (undefined unless
/// compute_grad); normalizer: float64 scalar that "mean" divides by (1 otherwise, never 0), on
/// the logits' device (the backward reads it without a device-to-host copy).
std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward(
    const at::Tensor& logits, const at::Tensor& target, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    int64_t ignore_index, double label_smoothing, bool compute_grad);

/// Kernel of rebalance::softmax_focal_loss below autograd, shared by every backend: the loss of
/// softmax_focal_loss_forward without its gradient.
at::Tensor softmax_focal_loss_no_grad(const at::Tensor& logits, const at::Tensor& target,
                                      double gamma,
                                      const rebalance::optional<at::Tensor>& class_weight,
                                      rebalance::string_view reduction, int64_t ignore_index,
                                      double label_smoothing);

/// The class dimension of `logits` for a loss that adjusts them by a per-class vector
/// (logit-adjusted, LDAM), after checking, with errors naming `op`: logits floating point with a
/// class dimension ((N, C, d1, ...) or (C)); `per_class` (named `name`) floating point, 1-D with
/// one entry per class, on the logits' device. Symbolic sizes (these losses decompose inside
/// torch.compile / torch.export traces).
int64_t check_per_class_adjustment(const char* op, const at::Tensor& logits,
                                   const at::Tensor& per_class, const char* name);

/// Cross-entropy (softmax_focal_loss at gamma 0, no smoothing) of logits another loss adjusted,
/// for the losses built on it (logit-adjusted, LDAM): errors name `op`. If the loss rejects a
/// value, `addend` (what the caller added to the logits, read only then: no host sync on the
/// training path) must be finite, else the error names it as `addend_name`.
at::Tensor cross_entropy_of_adjusted(const char* op, const at::Tensor& adjusted,
                                     const at::Tensor& target,
                                     const rebalance::optional<at::Tensor>& class_weight,
                                     rebalance::string_view reduction, int64_t ignore_index,
                                     const at::Tensor& addend, const char* addend_name);

} // namespace detail
} // namespace rebalance
