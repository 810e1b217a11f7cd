// Schemas and kernels of the fused focal losses.
#include "rebalance/ops/autograd/sigmoid_focal_loss_autograd.h"
#include "rebalance/ops/autograd/softmax_focal_loss_autograd.h"
#include "rebalance/ops/cpu/sigmoid_focal_loss_kernel.h"
#include "rebalance/ops/cpu/softmax_focal_loss_kernel.h"

#include <torch/library.h>

namespace {

at::Tensor sigmoid_focal_loss_cpu(const at::Tensor& logits, const at::Tensor& targets,
                                  double alpha, double gamma,
                                  const rebalance::optional<at::Tensor>& class_weight,
                                  rebalance::string_view reduction) {
  return std::get<0>(rebalance::cpu::sigmoid_focal_loss_forward_cpu(
      logits, targets, alpha, gamma, class_weight, reduction, /*compute_grad=*/false));
}

at::Tensor softmax_focal_loss_cpu(const at::Tensor& logits, const at::Tensor& target,
                                  double gamma, const rebalance::optional<at::Tensor>& class_weight,
                                  rebalance::string_view reduction, int64_t ignore_index,
                                  double label_smoothing) {
  return std::get<0>(rebalance::cpu::softmax_focal_loss_forward_cpu(
      logits, target, gamma, class_weight, reduction, ignore_index, label_smoothing,
      /*compute_grad=*/false));
}

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("sigmoid_focal_loss(Tensor logits, Tensor targets, float alpha=0.25, float gamma=2.0, "
        "Tensor? class_weight=None, str reduction=\"mean\") -> Tensor");
  m.def("softmax_focal_loss(Tensor logits, Tensor target, float gamma=2.0, "
        "Tensor? class_weight=None, str reduction=\"mean\", int ignore_index=-100, "
        "float label_smoothing=0.0) -> Tensor");
  m.def("_sigmoid_focal_loss_forward(Tensor logits, Tensor targets, float alpha, float gamma, "
        "Tensor? class_weight, str reduction, bool compute_grad) -> (Tensor, Tensor, Tensor)");
  m.def("_softmax_focal_loss_forward(Tensor logits, Tensor target, float gamma, "
        "Tensor? class_weight, str reduction, int ignore_index, float label_smoothing, "
        "bool compute_grad) -> (Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(rebalance, CPU, m) {
  m.impl("sigmoid_focal_loss", &sigmoid_focal_loss_cpu);
  m.impl("softmax_focal_loss", &softmax_focal_loss_cpu);
  m.impl("_sigmoid_focal_loss_forward", &rebalance::cpu::sigmoid_focal_loss_forward_cpu);
  m.impl("_softmax_focal_loss_forward", &rebalance::cpu::softmax_focal_loss_forward_cpu);
}

TORCH_LIBRARY_IMPL(rebalance, Autograd, m) {
  m.impl("sigmoid_focal_loss", &rebalance::autograd::sigmoid_focal_loss_autograd);
  m.impl("softmax_focal_loss", &rebalance::autograd::softmax_focal_loss_autograd);
}
