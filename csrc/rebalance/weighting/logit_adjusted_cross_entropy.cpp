#include "rebalance/weighting/logit_adjusted_cross_entropy.h"

#include "rebalance/errors.h"
#include "rebalance/ops/softmax_focal_loss.h"
#include "rebalance/weighting/class_weights.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <torch/library.h>

namespace rebalance {

at::Tensor logit_adjusted_cross_entropy(const at::Tensor& logits, const at::Tensor& target,
                                        const at::Tensor& log_prior, double tau,
                                        const rebalance::optional<at::Tensor>& class_weight,
                                        rebalance::string_view reduction, int64_t ignore_index) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::logit_adjusted_cross_entropy", "")
                       .typed<decltype(logit_adjusted_cross_entropy)>();
  return op.call(logits, target, log_prior, tau, class_weight, reduction, ignore_index);
}

at::Tensor log_prior_from_counts(const at::Tensor& counts) {
  const at::Tensor n = detail::checked_per_class("log_prior_from_counts", "counts", counts, -1);
  const double total = n.sum().item<double>();
  TORCH_CHECK_VALUE(total > 0, "log_prior_from_counts: counts must not all be 0");
  const auto dtype = detail::weight_dtype(counts);
  // Zero counts get the prior 1e-12 / max(ΣN, 1): below every share of integer counts, and
  // below 1 (a negative log prior) for fractional counts summing to less than 1.
  return (n / total).clamp_min(1e-12 / std::max(total, 1.0)).log().to(counts.device(), dtype);
}

namespace detail {

at::Tensor logit_adjusted_cross_entropy_impl(const at::Tensor& logits, const at::Tensor& target,
                                             const at::Tensor& log_prior, double tau,
                                             const rebalance::optional<at::Tensor>& class_weight,
                                             rebalance::string_view reduction, int64_t ignore_index) {
  constexpr const char* op = "logit_adjusted_cross_entropy";
  const int64_t class_dim = check_per_class_adjustment(op, logits, log_prior, "log_prior");
  TORCH_CHECK_VALUE(std::isfinite(tau), op, ": tau must be finite, got ", tau);
  std::vector<c10::SymInt> shape(logits.dim(), c10::SymInt(1));
  shape[class_dim] = logits.sym_size(class_dim);
  const at::Tensor adjusted = logits + log_prior.to(logits.scalar_type()).view_symint(shape) * tau;
  // A non-finite log prior makes the adjusted logits non-finite, which the loss's own value
  // check reports; only then is log_prior read (no host sync on the training path).
  return cross_entropy_of_adjusted(op, adjusted, target, class_weight, reduction, ignore_index,
                                   log_prior, "log_prior");
}

} // namespace detail
} // namespace rebalance

namespace rebalance {
namespace {

at::Tensor log_prior_from_counts_meta(const at::Tensor& counts) {
  TORCH_CHECK_VALUE(counts.dim() == 1, "log_prior_from_counts: counts must be 1-D, got ",
                    counts.dim(), " dimensions");
  return at::empty_symint({counts.sym_numel()},
                          counts.options().dtype(detail::weight_dtype(counts)));
}

} // namespace
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("log_prior_from_counts(Tensor counts) -> Tensor");
  m.def("logit_adjusted_cross_entropy(Tensor logits, Tensor target, Tensor log_prior, "
        "float tau=1.0, Tensor? class_weight=None, str reduction=\"mean\", "
        "int ignore_index=-100) -> Tensor");
}

// Decomposes into ATen ops and rebalance::softmax_focal_loss (their autograd and Meta kernels).
TORCH_LIBRARY_IMPL(rebalance, CompositeImplicitAutograd, m) {
  m.impl("logit_adjusted_cross_entropy", &rebalance::detail::logit_adjusted_cross_entropy_impl);
}

// The prior is a statistic of the counts (no gradient): one kernel for every backend.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("log_prior_from_counts", &rebalance::log_prior_from_counts);
}

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("log_prior_from_counts", &rebalance::log_prior_from_counts_meta);
}
