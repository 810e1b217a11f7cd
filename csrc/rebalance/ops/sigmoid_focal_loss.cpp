#include "rebalance/ops/sigmoid_focal_loss.h"

#include "rebalance/ops/class_weight_check.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <cmath>

namespace rebalance {

at::Tensor sigmoid_focal_loss(const at::Tensor& logits, const at::Tensor& targets, double alpha,
                              double gamma, const rebalance::optional<at::Tensor>& class_weight,
                              rebalance::string_view reduction) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::sigmoid_focal_loss", "")
                       .typed<decltype(sigmoid_focal_loss)>();
  return op.call(logits, targets, alpha, gamma, class_weight, reduction);
}

namespace detail {

void check_sigmoid_focal_loss_args(const at::Tensor& logits, const at::Tensor& targets,
                                   double alpha, double gamma,
                                   const rebalance::optional<at::Tensor>& class_weight,
                                   bool check_values) {
  constexpr const char* op = "sigmoid_focal_loss";
  TORCH_CHECK_TYPE(at::isFloatingType(logits.scalar_type()), op,
                   ": logits must be a floating-point tensor, got ", logits.scalar_type());
  TORCH_CHECK_TYPE(at::isFloatingType(targets.scalar_type()), op,
                   ": targets must be a floating-point tensor with values in [0, 1], got ",
                   targets.scalar_type(), " (convert with .to(logits.dtype))");
  TORCH_CHECK_VALUE(logits.sizes() == targets.sizes(), op,
                    ": targets must have the shape of logits ", logits.sizes(), ", got ",
                    targets.sizes());
  TORCH_CHECK_VALUE(logits.device() == targets.device(), op, ": targets must be on ",
                    logits.device(), ", got ", targets.device());
  TORCH_CHECK_VALUE(std::isfinite(alpha) && alpha <= 1, op,
                    ": alpha must be <= 1 (alpha < 0 disables it), got ", alpha);
  check_gamma(op, gamma);
  check_class_weight(op, class_weight, logits.dim() == 0 ? 1 : logits.size(-1), logits,
                     check_values);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward(
    const at::Tensor& logits, const at::Tensor& targets, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    bool compute_grad) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::_sigmoid_focal_loss_forward", "")
                       .typed<decltype(sigmoid_focal_loss_forward)>();
  return op.call(logits, targets, alpha, gamma, class_weight, reduction, compute_grad);
}

at::Tensor sigmoid_focal_loss_no_grad(const at::Tensor& logits, const at::Tensor& targets,
                                      double alpha, double gamma,
                                      const rebalance::optional<at::Tensor>& class_weight,
                                      rebalance::string_view reduction) {
  return std::get<0>(sigmoid_focal_loss_forward(logits, targets, alpha, gamma, class_weight,
                                                reduction, /*compute_grad=*/false));
}

} // namespace detail
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("sigmoid_focal_loss(Tensor logits, Tensor targets, float alpha=0.25, float gamma=2.0, "
        "Tensor? class_weight=None, str reduction=\"mean\") -> Tensor");
  m.def("_sigmoid_focal_loss_forward(Tensor logits, Tensor targets, float alpha, float gamma, "
        "Tensor? class_weight, str reduction, bool compute_grad) -> (Tensor, Tensor, Tensor)");
}

// Below autograd (inference, or no input requiring grad) on every backend: the backend's
// forward kernel without the gradient.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("sigmoid_focal_loss", &rebalance::detail::sigmoid_focal_loss_no_grad);
}
