#include "rebalance/ops/autograd/softmax_focal_loss_autograd.h"

#include "rebalance/ops/autograd/focal_loss_backward.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <torch/autograd.h>

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
    ctx->save_for_backward({grad, normalizer});
    ctx->saved_data["reduced"] = parse_reduction("softmax_focal_loss", reduction) != Reduction::None;
    ctx->saved_data["logits_shape"] = logits.sizes().vec();
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
    const auto shape = ctx->saved_data["logits_shape"].toIntVector();
    at::Tensor grad_logits;
    if (shape.size() <= 2) {
      grad_logits = rows.view(shape);
    } else {
      std::vector<int64_t> channels_last(shape.begin(), shape.end());
      channels_last.erase(channels_last.begin() + 1);
      channels_last.push_back(shape[1]);
      grad_logits = rows.view(channels_last).movedim(-1, 1);
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
