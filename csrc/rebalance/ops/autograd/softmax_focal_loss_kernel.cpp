#include "rebalance/ops/autograd/softmax_focal_loss_kernel.h"

#include "rebalance/ops/autograd/focal_loss_backward.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <torch/autograd.h>
#include <torch/library.h>
#include <torch/version.h>

#include <vector>

namespace rebalance {
namespace autograd {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// The sizes (N, d1, ...) of the target, kept for the backward without keeping the target:
/// symbolic when traced with dynamic shapes (LibTorch 1.x has no SymInt lists in an IValue, nor
/// symbolic tracing).
c10::IValue target_shape(const at::Tensor& target) {
#if TORCH_VERSION_MAJOR >= 2
  return c10::IValue(target.sym_sizes());
#else
  return c10::IValue(target.sizes().vec());
#endif
}

std::vector<c10::SymInt> saved_target_shape(const c10::IValue& shape) {
#if TORCH_VERSION_MAJOR >= 2
  return shape.toSymIntVector();
#else
  const auto sizes = shape.toIntVector();
  return std::vector<c10::SymInt>(sizes.begin(), sizes.end());
#endif
}

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
    ctx->save_for_backward({grad, normalizer});
    ctx->saved_data["target_shape"] = target_shape(target);
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
    std::vector<c10::SymInt> shape = saved_target_shape(ctx->saved_data["target_shape"]);
    at::Tensor grad_logits;
    if (shape.empty()) {
      grad_logits = rows.view({-1});
    } else if (shape.size() == 1) {
      grad_logits = rows;
    } else {
      shape.push_back(rows.sym_size(1));
      grad_logits = rows.view_symint(shape).movedim(-1, 1);
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
