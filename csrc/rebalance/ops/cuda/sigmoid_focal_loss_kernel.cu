#include "rebalance/ops/cuda/cuda_kernels.h"
#include "rebalance/ops/cuda/focal_loss_kernels.cuh"
#include "rebalance/ops/cuda/launch_utils.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/sigmoid_focal_loss.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

namespace rebalance {
namespace cuda {

std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward_cuda(
    const at::Tensor& logits_in, const at::Tensor& targets_in, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction_name,
    bool compute_grad) {
  const bool host_checks = host_checks_enabled(logits_in.device());
  detail::check_sigmoid_focal_loss_args(logits_in, targets_in, alpha, gamma, class_weight,
                                        host_checks);
  const Reduction reduction = parse_reduction("sigmoid_focal_loss", reduction_name);
  const c10::cuda::CUDAGuard guard(logits_in.device());
  const at::Tensor logits = logits_in.contiguous();
  const at::Tensor targets = targets_in.to(logits.scalar_type()).contiguous();
  const auto opmath = at::toOpMathType(logits.scalar_type());
  at::Tensor weight;
  if (class_weight.has_value() && class_weight->defined()) {
    weight = class_weight->detach().to(opmath).contiguous();
  }
  const int64_t n = logits.numel();
  const int64_t num_classes = logits.dim() == 0 ? 1 : logits.size(-1);
  at::Tensor loss = reduction == Reduction::None ? at::empty_like(logits)
                                                 : at::empty({}, logits.options());
  at::Tensor grad = compute_grad ? at::empty_like(logits) : at::Tensor();
  const double normalizer = reduction == Reduction::Mean && n > 0 ? static_cast<double>(n) : 1.0;
  if (n == 0) {
    if (reduction != Reduction::None) loss.zero_();
    return std::make_tuple(loss, grad,
                           at::scalar_tensor(normalizer, logits.options().dtype(at::kDouble)));
  }

  const int blocks = grid_size(n, static_cast<int64_t>(kThreads) * kSigmoidUnroll, kMaxPartials);
  const auto device_options = logits.options();
  at::Tensor loss_partial = at::empty({blocks}, device_options.dtype(at::kDouble));
  at::Tensor ok_partial = at::empty({blocks}, device_options.dtype(at::kInt));
  at::Tensor info = at::empty({2}, device_options.dtype(at::kLong));
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, logits.scalar_type(), "sigmoid_focal_loss_cuda", [&] {
        using acc_t = at::opmath_type<scalar_t>;
        const SigmoidFocalParams<acc_t> prm{static_cast<acc_t>(alpha), static_cast<acc_t>(gamma),
                                            focal::modulator_kind(gamma), alpha >= 0};
        sigmoid_focal_forward_kernel<scalar_t, acc_t><<<blocks, kThreads, 0, stream>>>(
            logits.data_ptr<scalar_t>(), targets.data_ptr<scalar_t>(),
            weight.defined() ? weight.data_ptr<acc_t>() : nullptr, num_classes, n, prm,
            reduction == Reduction::None ? loss.data_ptr<scalar_t>() : nullptr,
            compute_grad ? grad.data_ptr<scalar_t>() : nullptr, loss_partial.data_ptr<double>(),
            ok_partial.data_ptr<int>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
        finalize_reduction_kernel<scalar_t><<<1, kThreads, 0, stream>>>(
            loss_partial.data_ptr<double>(), nullptr, ok_partial.data_ptr<int>(), blocks,
            reduction == Reduction::Mean, normalizer,
            reduction == Reduction::None ? nullptr : loss.data_ptr<scalar_t>(),
            info.data_ptr<int64_t>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
  // finalize_reduction_kernel stored the normalizer's bits in info[1]: it stays on the device,
  // and only the checks read the status back to the host (a sync).
  const at::Tensor normalizer_tensor = info.select(0, 1).view(at::kDouble);
  if (!host_checks) return std::make_tuple(loss, grad, normalizer_tensor);
  const int64_t ok = info.cpu().data_ptr<int64_t>()[0];
  TORCH_CHECK_VALUE(ok & kFiniteLogits,
                    "sigmoid_focal_loss: logits must be finite, got NaN or inf");
  TORCH_CHECK_VALUE(ok & kTargetsInRange,
                    "sigmoid_focal_loss: targets must be in [0, 1], got a value outside it or NaN");
  return std::make_tuple(loss, grad, normalizer_tensor);
}

} // namespace cuda
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, CUDA, m) {
  m.impl("_sigmoid_focal_loss_forward", &rebalance::cuda::sigmoid_focal_loss_forward_cuda);
}
