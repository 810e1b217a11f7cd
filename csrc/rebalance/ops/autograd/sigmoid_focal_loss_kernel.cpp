#include "rebalance/ops/autograd/sigmoid_focal_loss_kernel.h"

#include "rebalance/ops/autograd/focal_loss_backward.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/sigmoid_focal_loss.h"

#include <torch/autograd.h>
#include <torch/library.h>

namespace rebalance {
namespace autograd {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class SigmoidFocalLossFunction : public torch::autograd::Function<SigmoidFocalLossFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& logits,
                               const at::Tensor& targets, double alpha, double gamma,
                               const rebalance::optional<at::Tensor>& class_weight,
                               rebalance::string_view reduction, bool compute_grad) {
    at::AutoDispatchBelowADInplaceOrView guard;
    auto [loss, grad, normalizer] = detail::sigmoid_focal_loss_forward(
        logits, targets, alpha, gamma, class_weight, reduction, compute_grad);
    ctx->save_for_backward({grad, normalizer});
    ctx->saved_data["reduced"] = parse_reduction("sigmoid_focal_loss", reduction) != Reduction::None;
    return {loss};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor grad_logits = scale_saved_gradient(
        "sigmoid_focal_loss", grad_outputs[0], saved[0], ctx->saved_data["reduced"].toBool(),
        saved[1]);
    return {grad_logits, at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor(),  at::Tensor(), at::Tensor()};
  }
};

} // namespace

at::Tensor sigmoid_focal_loss_autograd(const at::Tensor& logits, const at::Tensor& targets,
                                       double alpha, double gamma,
                                       const rebalance::optional<at::Tensor>& class_weight,
                                       rebalance::string_view reduction) {
  TORCH_CHECK_VALUE(!(targets.requires_grad() && at::GradMode::is_enabled()),
                    "sigmoid_focal_loss: no gradient flows to targets; pass targets.detach()");
  const bool compute_grad = logits.requires_grad() && at::GradMode::is_enabled();
  return SigmoidFocalLossFunction::apply(logits, targets, alpha, gamma, class_weight, reduction,
                                         compute_grad)[0];
}

} // namespace autograd
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, Autograd, m) {
  m.impl("sigmoid_focal_loss", &rebalance::autograd::sigmoid_focal_loss_autograd);
}
