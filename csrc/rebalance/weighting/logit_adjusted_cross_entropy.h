#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

namespace rebalance {

/// Logit-adjusted cross-entropy (Menon et al. 2021); with tau = 1 and log_prior = log(N_c / N)
/// it is the balanced softmax loss (Ren et al. 2020):
///   loss = cross_entropy(logits + tau * log_prior, target, class_weight, reduction, ignore_index)
/// computed by the fused rebalance::softmax_focal_loss with gamma = 0, so value and gradient are
/// exact. logits: (N, C, d1, ...) or (C); target int64 (N, d1, ...); log_prior: (C,) finite
/// floating (added along dim 1). Gradients flow to logits (and to log_prior if it requires one).
/// At inference use the unadjusted logits.
at::Tensor logit_adjusted_cross_entropy(const at::Tensor& logits, const at::Tensor& target,
                                        const at::Tensor& log_prior, double tau = 1.0,
                                        const rebalance::optional<at::Tensor>& class_weight = rebalance::nullopt,
                                        rebalance::string_view reduction = "mean",
                                        int64_t ignore_index = -100);

/// log(N_c / sum N) of (C,) non-negative counts, float64 → counts' floating dtype (default dtype
/// for integer counts). Zero counts give log(1e-12 / sum N) (finite) instead of -inf.
at::Tensor log_prior_from_counts(const at::Tensor& counts);

namespace detail {

/// Implementation of rebalance::logit_adjusted_cross_entropy (composite, autograd through the
/// ops it calls).
at::Tensor logit_adjusted_cross_entropy_impl(const at::Tensor& logits, const at::Tensor& target,
                                             const at::Tensor& log_prior, double tau,
                                             const rebalance::optional<at::Tensor>& class_weight,
                                             rebalance::string_view reduction, int64_t ignore_index);

} // namespace detail
} // namespace rebalance
