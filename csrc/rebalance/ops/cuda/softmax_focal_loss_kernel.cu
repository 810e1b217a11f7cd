#include "rebalance/ops/cuda/cuda_kernels.h"
#include "rebalance/ops/cuda/focal_loss_kernels.cuh"
#include "rebalance/ops/cuda/launch_utils.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <limits>

namespace rebalance {
namespace cuda {
namespace {

/// Lanes per row: about four classes per lane, a power of two in [4, 32].
int lanes_per_row(int64_t C) {
  int lanes = 4;
  while (lanes < 32 && static_cast<int64_t>(lanes) * 4 < C) lanes *= 2;
  return lanes;
}

template <typename scalar_t, int G>
void launch_rows(const at::Tensor& logits, const at::Tensor& target, const at::Tensor& weight,
                 const SoftmaxFocalParams<at::opmath_type<scalar_t>>& prm, at::Tensor& loss,
                 at::Tensor& grad, at::Tensor& loss_partial, at::Tensor& weight_partial,
                 at::Tensor& ok_partial, at::Tensor& bad_row, int blocks, cudaStream_t stream) {
  using acc_t = at::opmath_type<scalar_t>;
  softmax_focal_forward_kernel<scalar_t, acc_t, G><<<blocks, kThreads, 0, stream>>>(
      logits.data_ptr<scalar_t>(), target.data_ptr<int64_t>(),
      weight.defined() ? weight.data_ptr<acc_t>() : nullptr, logits.size(0), prm,
      loss.defined() ? loss.data_ptr<scalar_t>() : nullptr,
      grad.defined() ? grad.data_ptr<scalar_t>() : nullptr, loss_partial.data_ptr<double>(),
      weight_partial.data_ptr<double>(), ok_partial.data_ptr<int>(),
      reinterpret_cast<unsigned long long*>(bad_row.data_ptr<int64_t>()));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

} // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward_cuda(
    const at::Tensor& logits_in, const at::Tensor& target_in, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction_name,
    int64_t ignore_index, double label_smoothing, bool compute_grad) {
  const bool host_checks = host_checks_enabled(logits_in.device());
  detail::check_softmax_focal_loss_args(logits_in, target_in, gamma, class_weight,
                                        label_smoothing, host_checks);
  const Reduction reduction = parse_reduction("softmax_focal_loss", reduction_name);
  const c10::cuda::CUDAGuard guard(logits_in.device());
  const at::Tensor logits = detail::class_rows(logits_in);
  const int64_t C = logits.size(1);
  const at::Tensor target = target_in.reshape({-1}).contiguous();
  at::Tensor weight;
  if (class_weight.has_value() && class_weight->defined()) {
    weight = class_weight->detach().to(at::toOpMathType(logits.scalar_type())).contiguous();
  }
  const int64_t rows = logits.size(0);
  at::Tensor loss = reduction == Reduction::None ? at::empty({rows}, logits.options())
                                                 : at::empty({}, logits.options());
  at::Tensor grad = compute_grad ? at::empty_like(logits) : at::Tensor();
  if (rows == 0) {
    if (reduction != Reduction::None) loss.zero_();
    if (reduction == Reduction::None) loss = loss.view(target_in.sizes());
    return std::make_tuple(loss, grad,
                           at::scalar_tensor(1.0, logits.options().dtype(at::kDouble)));
  }

  const int lanes = lanes_per_row(C);
  const int blocks = grid_size(rows, kThreads / lanes, kMaxPartials);
  const auto device_options = logits.options();
  at::Tensor loss_partial = at::empty({blocks}, device_options.dtype(at::kDouble));
  at::Tensor weight_partial = at::empty({blocks}, device_options.dtype(at::kDouble));
  at::Tensor ok_partial = at::empty({blocks}, device_options.dtype(at::kInt));
  // info: status bits, normalizer bits, smallest row with a target out of range.
  at::Tensor info = at::full({3}, std::numeric_limits<int64_t>::max(),
                             device_options.dtype(at::kLong));
  at::Tensor bad_row = info.narrow(0, 2, 1);
  at::Tensor row_loss = reduction == Reduction::None ? loss : at::Tensor();
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, logits.scalar_type(), "softmax_focal_loss_cuda", [&] {
        using acc_t = at::opmath_type<scalar_t>;
        const SoftmaxFocalParams<acc_t> prm{static_cast<acc_t>(gamma),
                                            focal::modulator_kind(gamma),
                                            static_cast<acc_t>(label_smoothing), C, ignore_index};
        switch (lanes) {
          case 4:
            launch_rows<scalar_t, 4>(logits, target, weight, prm, row_loss, grad, loss_partial,
                                     weight_partial, ok_partial, bad_row, blocks, stream);
            break;
          case 8:
            launch_rows<scalar_t, 8>(logits, target, weight, prm, row_loss, grad, loss_partial,
                                     weight_partial, ok_partial, bad_row, blocks, stream);
            break;
          case 16:
            launch_rows<scalar_t, 16>(logits, target, weight, prm, row_loss, grad, loss_partial,
                                      weight_partial, ok_partial, bad_row, blocks, stream);
            break;
          default:
            launch_rows<scalar_t, 32>(logits, target, weight, prm, row_loss, grad, loss_partial,
                                      weight_partial, ok_partial, bad_row, blocks, stream);
        }
        finalize_reduction_kernel<scalar_t><<<1, kThreads, 0, stream>>>(
            loss_partial.data_ptr<double>(), weight_partial.data_ptr<double>(),
            ok_partial.data_ptr<int>(), blocks, reduction == Reduction::Mean, 1.0,
            reduction == Reduction::None ? nullptr : loss.data_ptr<scalar_t>(),
            info.data_ptr<int64_t>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
  // finalize_reduction_kernel stored the normalizer's bits in info[1]: it stays on the device,
  // and only the checks read the status back to the host (a sync).
  const at::Tensor normalizer = info.select(0, 1).view(at::kDouble);
  if (reduction == Reduction::None) loss = loss.view(target_in.sizes());
  if (!host_checks) return std::make_tuple(loss, grad, normalizer);
  const at::Tensor host_info = info.cpu();
  const int64_t* status = host_info.data_ptr<int64_t>();
  if (status[2] != std::numeric_limits<int64_t>::max()) {
    TORCH_CHECK_INDEX(false, "softmax_focal_loss: target must be in [0, ", C,
                      ") or ignore_index (", ignore_index, "), got ",
                      target[status[2]].item<int64_t>(), " at flat position ", status[2]);
  }
  TORCH_CHECK_VALUE(status[0] & kFiniteLogits,
                    "softmax_focal_loss: logits must be finite, got NaN or inf (or -inf at a "
                    "target class)");
  return std::make_tuple(loss, grad, normalizer);
}

} // namespace cuda
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, CUDA, m) {
  m.impl("_softmax_focal_loss_forward", &rebalance::cuda::softmax_focal_loss_forward_cuda);
}
