#include "rebalance/ops/softmax_focal_loss.h"

#include "rebalance/errors.h"
#include "rebalance/ops/class_weight_check.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <cmath>

namespace rebalance {

at::Tensor softmax_focal_loss(const at::Tensor& logits, const at::Tensor& target, double gamma,
                              const rebalance::optional<at::Tensor>& class_weight,
                              rebalance::string_view reduction, int64_t ignore_index,
                              double label_smoothing) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::softmax_focal_loss", "")
                       .typed<decltype(softmax_focal_loss)>();
  return op.call(logits, target, gamma, class_weight, reduction, ignore_index, label_smoothing);
}

namespace detail {

at::Tensor class_rows(const at::Tensor& logits) {
  const bool unbatched = logits.dim() == 1;
  const int64_t C = unbatched ? logits.size(0) : logits.size(1);
  const at::Tensor rows =
      unbatched ? logits.unsqueeze(0) : (logits.dim() > 2 ? logits.movedim(1, -1) : logits);
  return rows.reshape({-1, C}).contiguous();
}

void check_softmax_focal_loss_args(const at::Tensor& logits, const at::Tensor& target,
                                   double gamma, const rebalance::optional<at::Tensor>& class_weight,
                                   double label_smoothing, bool check_values) {
  constexpr const char* op = "softmax_focal_loss";
  TORCH_CHECK_TYPE(at::isFloatingType(logits.scalar_type()), op,
                   ": logits must be a floating-point tensor, got ", logits.scalar_type());
  TORCH_CHECK_TYPE(target.scalar_type() == at::kLong, op,
                   ": target must be int64 class indices, got ", target.scalar_type());
  TORCH_CHECK_VALUE(logits.dim() >= 1, op,
                    ": logits must have shape (N, C, d1, ...) or (C), got a 0-dim tensor");
  const bool unbatched = logits.dim() == 1;
  bool shape_ok = unbatched ? target.dim() == 0 : target.dim() == logits.dim() - 1;
  if (shape_ok && !unbatched) {
    shape_ok = target.size(0) == logits.size(0);
    for (int64_t d = 2; d < logits.dim() && shape_ok; ++d) {
      shape_ok = target.size(d - 1) == logits.size(d);
    }
  }
  TORCH_CHECK_VALUE(shape_ok, op, ": target must have shape (N, d1, ...) for logits (N, C, d1, ...)",
                    " (or () for logits (C)); got logits ", logits.sizes(), " and target ",
                    target.sizes());
  TORCH_CHECK_VALUE(logits.device() == target.device(), op, ": target must be on ",
                    logits.device(), ", got ", target.device());
  check_gamma(op, gamma);
  TORCH_CHECK_VALUE(std::isfinite(label_smoothing) && label_smoothing >= 0 &&
                        label_smoothing <= 1,
                    op, ": label_smoothing must be in [0, 1], got ", label_smoothing);
  check_class_weight(op, class_weight, unbatched ? logits.size(0) : logits.size(1), logits,
                     check_values);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward(
    const at::Tensor& logits, const at::Tensor& target, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    int64_t ignore_index, double label_smoothing, bool compute_grad) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::_softmax_focal_loss_forward", "")
                       .typed<decltype(softmax_focal_loss_forward)>();
  return op.call(logits, target, gamma, class_weight, reduction, ignore_index, label_smoothing,
                 compute_grad);
}

at::Tensor softmax_focal_loss_no_grad(const at::Tensor& logits, const at::Tensor& target,
                                      double gamma,
                                      const rebalance::optional<at::Tensor>& class_weight,
                                      rebalance::string_view reduction, int64_t ignore_index,
                                      double label_smoothing) {
  return std::get<0>(softmax_focal_loss_forward(logits, target, gamma, class_weight, reduction,
                                                ignore_index, label_smoothing,
                                                /*compute_grad=*/false));
}

int64_t check_per_class_adjustment(const char* op, const at::Tensor& logits,
                                   const at::Tensor& per_class, const char* name) {
  TORCH_CHECK_TYPE(at::isFloatingType(logits.scalar_type()), op,
                   ": logits must be a floating-point tensor, got ", logits.scalar_type());
  TORCH_CHECK_VALUE(logits.dim() >= 1, op,
                    ": logits must be (N, C, d1, ...) or (C), got a 0-dim tensor");
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  const c10::SymInt C = logits.sym_size(class_dim);
  TORCH_CHECK_TYPE(at::isFloatingType(per_class.scalar_type()), op, ": ", name,
                   " must be a floating-point tensor, got ", per_class.scalar_type());
  TORCH_CHECK_VALUE(per_class.dim() == 1 && per_class.sym_numel() == C, op, ": ", name,
                    " must be 1-D with ", C, " entries (one per class), got shape ",
                    per_class.sym_sizes());
  TORCH_CHECK_VALUE(per_class.device() == logits.device(), op, ": ", name, " must be on ",
                    logits.device(), ", got ", per_class.device());
  return class_dim;
}

at::Tensor cross_entropy_of_adjusted(const char* op, const at::Tensor& adjusted,
                                     const at::Tensor& target,
                                     const rebalance::optional<at::Tensor>& class_weight,
                                     rebalance::string_view reduction, int64_t ignore_index,
                                     const at::Tensor& addend, const char* addend_name) {
  try {
    return with_errors_named(op, "softmax_focal_loss", [&] {
      return softmax_focal_loss(adjusted, target, /*gamma=*/0.0, class_weight, reduction,
                                ignore_index, /*label_smoothing=*/0.0);
    });
  } catch (const c10::ValueError&) {
    TORCH_CHECK_VALUE(addend.detach().isfinite().all().item<bool>(), op, ": ", addend_name,
                      " must be finite, got NaN or inf");
    throw;
  }
}

} // namespace detail
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("softmax_focal_loss(Tensor logits, Tensor target, float gamma=2.0, "
        "Tensor? class_weight=None, str reduction=\"mean\", int ignore_index=-100, "
        "float label_smoothing=0.0) -> Tensor");
  m.def("_softmax_focal_loss_forward(Tensor logits, Tensor target, float gamma, "
        "Tensor? class_weight, str reduction, int ignore_index, float label_smoothing, "
        "bool compute_grad) -> (Tensor, Tensor, Tensor)");
}

// Below autograd (inference, or no input requiring grad) on every backend: the backend's
// forward kernel without the gradient.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("softmax_focal_loss", &rebalance::detail::softmax_focal_loss_no_grad);
}
