#include "rebalance/ops/autograd/softmax_focal_loss_kernel.h"

#include "rebalance/ops/autograd/focal_loss_backward.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <torch/autograd.h>
#include <torch/library.h>

namespace rebalance {
namespace autograd {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class SoftmaxFocalLossFunction : public torch::autograd::Function<SoftmaxFocalLossFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& logits,
                               const at::Tensor& target, double gamma,
                               const rebalance::optional<at::Tensor>& class_weight,
                               rebalance::string_view reduction, int64_t ignore_index,
                               double label_smoothing, bool compute_grad) {
    at::AutoDispatchBelowADInplaceOrView guard;
    auto [loss, grad, normalizer] =
        detail::softmax_focal_loss_forward(logits, target, gamma, class_weight, reduction,
                                           ignore_index, label_smoothing, compute_grad);
    // The target (saved by reference) carries the shape (N, d1, ...) of the logits' rows, in
    // symbolic sizes when traced with dynamic shapes.
    ctx->save_for_backward({grad, normalizer, target});
    ctx->saved_data["reduced"] = parse_reduction("softmax_focal_loss", reduction) != Reduction::None;
    return {loss};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const bool reduced = ctx->saved_data["reduced"].toBool();
    // The saved gradient has rows (N * d1 * ..., C); a per-row grad_output scales each row.
    at::Tensor grad_output = grad_outputs[0];
    if (!reduced) grad_output = grad_output.reshape({-1, 1});
    at::Tensor rows = scale_saved_gradient("softmax_focal_loss", grad_output, saved[0], reduced,
                                           saved[1]);
    const at::Tensor& target = saved[2];
    at::Tensor grad_logits;
    if (target.dim() == 0) {
      grad_logits = rows.view({-1});
    } else if (target.dim() == 1) {
      grad_logits = rows;
    } else {
      std::vector<c10::SymInt> channels_last(target.sym_sizes().begin(), target.sym_sizes().end());
      channels_last.push_back(rows.sym_size(1));
      grad_logits = rows.view_symint(channels_last).movedim(-1, 1);
    }
    return {grad_logits, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

} // namespace

at::Tensor softmax_focal_loss_autograd(const at::Tensor& logits, const at::Tensor& target,
                                       double gamma,
                                       const rebalance::optional<at::Tensor>& class_weight,
                                       rebalance::string_view reduction, int64_t ignore_index,
                                       double label_smoothing) {
  const bool compute_grad = logits.requires_grad() && at::GradMode::is_enabled();
  return SoftmaxFocalLossFunction::apply(logits, target, gamma, class_weight, reduction,
                                         ignore_index, label_smoothing, compute_grad)[0];
}

} // namespace autograd
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, Autograd, m) {
  m.impl("softmax_focal_loss", &rebalance::autograd::softmax_focal_loss_autograd);
}
