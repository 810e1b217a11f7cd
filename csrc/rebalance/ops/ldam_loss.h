#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

namespace rebalance {

/// Label-distribution-aware margin loss (LDAM, Cao et al. 2019):
///   loss_i = w_{y_i} * cross_entropy(scale * (z_i - margins[y_i] * onehot(y_i)), y_i),
/// i.e. the target logit is lowered by its class's margin before the logits are scaled.
/// Computed by the fused rebalance::softmax_focal_loss (gamma = 0) on the adjusted logits, so
/// class_weight, reduction ("mean" divides by the summed weight of the non-ignored targets) and
/// ignore_index follow torch.nn.functional.cross_entropy; the gradient is scale times the
/// kernel's gradient. logits: (N, C, d1, ...) or (C); target int64 (N, d1, ...) or ();
/// margins: (C,) floating, finite and >= 0 (ldam_margins); scale: finite, > 0 (Cao et al. use
/// 30 with a normalized classifier). Gradients flow to logits (and margins if they require one).
at::Tensor ldam_loss(const at::Tensor& logits, const at::Tensor& target, const at::Tensor& margins,
                     double scale = 30.0,
                     const rebalance::optional<at::Tensor>& class_weight = rebalance::nullopt,
                     rebalance::string_view reduction = "mean", int64_t ignore_index = -100);

/// LDAM's margins from (C,) non-negative class counts:
///   margins_c = max_margin * N_c^(-1/4) / max_{c'} N_{c'}^(-1/4),
/// so the rarest class gets max_margin; a class with count 0 gets max_margin too. In the counts'
/// dtype when floating point (else the default dtype), on the counts' device.
at::Tensor ldam_margins(const at::Tensor& counts, double max_margin = 0.5);

namespace detail {

/// Implementation of rebalance::ldam_loss (composite: autograd, Meta and every backend through
/// the ops it calls).
at::Tensor ldam_loss_impl(const at::Tensor& logits, const at::Tensor& target,
                          const at::Tensor& margins, double scale,
                          const rebalance::optional<at::Tensor>& class_weight,
                          rebalance::string_view reduction, int64_t ignore_index);

} // namespace detail
} // namespace rebalance
