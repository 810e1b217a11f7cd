// CUDA kernels of the fused focal losses (schemas in plugin/focal_loss.cpp). Built only when
// REBALANCE_CUDA is on; the Autograd kernels registered there are device-agnostic.
#include "rebalance/ops/cuda/cuda_kernels.h"

#include <torch/library.h>

namespace {

at::Tensor sigmoid_focal_loss_cuda(const at::Tensor& logits, const at::Tensor& targets,
                                   double alpha, double gamma,
                                   const rebalance::optional<at::Tensor>& class_weight,
                                   rebalance::string_view reduction) {
  return std::get<0>(rebalance::cuda::sigmoid_focal_loss_forward_cuda(
      logits, targets, alpha, gamma, class_weight, reduction, /*compute_grad=*/false));
}

at::Tensor softmax_focal_loss_cuda(const at::Tensor& logits, const at::Tensor& target,
                                   double gamma, const rebalance::optional<at::Tensor>& class_weight,
                                   rebalance::string_view reduction, int64_t ignore_index,
                                   double label_smoothing) {
  return std::get<0>(rebalance::cuda::softmax_focal_loss_forward_cuda(
      logits, target, gamma, class_weight, reduction, ignore_index, label_smoothing,
      /*compute_grad=*/false));
}

} // namespace

TORCH_LIBRARY_IMPL(rebalance, CUDA, m) {
  m.impl("sigmoid_focal_loss", &sigmoid_focal_loss_cuda);
  m.impl("softmax_focal_loss", &softmax_focal_loss_cuda);
  m.impl("_sigmoid_focal_loss_forward", &rebalance::cuda::sigmoid_focal_loss_forward_cuda);
  m.impl("_softmax_focal_loss_forward", &rebalance::cuda::softmax_focal_loss_forward_cuda);
}
