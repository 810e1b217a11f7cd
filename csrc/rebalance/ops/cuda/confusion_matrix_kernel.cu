#include "rebalance/ops/confusion_matrix.h"
#include "rebalance/ops/cuda/confusion_matrix_kernels.cuh"
#include "rebalance/ops/cuda/cuda_kernels.h"
#include "rebalance/ops/cuda/launch_utils.h"

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

/// Blocks of the counting kernels: enough to fill a large GPU, few enough that the per-block
/// shared-memory matrices are cheap to flush.
constexpr int64_t kMaxCountBlocks = 512;
/// Classes from which (N, C) logits are read one warp per row.
constexpr int64_t kWarpRowClasses = 32;

} // namespace

at::Tensor confusion_matrix_cuda(const at::Tensor& input, const at::Tensor& target_in,
                                 int64_t num_classes, int64_t ignore_index) {
  const bool logits = detail::check_confusion_matrix_args(input, target_in, num_classes);
  const c10::cuda::CUDAGuard guard(input.device());
  const int64_t C = num_classes;
  const at::Tensor target = target_in.contiguous();
  const at::Tensor x = input.contiguous();
  at::Tensor out = at::zeros({C, C}, target.options().dtype(at::kLong));
  const int64_t positions = target.numel();
  if (positions == 0) return out;

  at::Tensor bad = at::full({1}, std::numeric_limits<int64_t>::max(), out.options());
  auto* out_cells = reinterpret_cast<unsigned long long*>(out.data_ptr<int64_t>());
  auto* bad_index = reinterpret_cast<unsigned long long*>(bad.data_ptr<int64_t>());
  const bool use_shared = C * C <= kSharedCells;
  const size_t shared_bytes = use_shared ? static_cast<size_t>(C * C) * sizeof(unsigned) : 0;
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const int64_t* y = target.data_ptr<int64_t>();
  if (!logits) {
    const int blocks = grid_size(positions, kCountThreads, kMaxCountBlocks);
    confusion_predictions_kernel<<<blocks, kCountThreads, shared_bytes, stream>>>(
        x.data_ptr<int64_t>(), y, positions, C, ignore_index, use_shared, out_cells, bad_index);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  } else {
    const int64_t N = x.dim() == 1 ? 1 : x.size(0);
    const int64_t S = positions / N;
    AT_DISPATCH_FLOATING_TYPES_AND2(
        at::kHalf, at::kBFloat16, x.scalar_type(), "confusion_matrix_cuda", [&] {
          using acc_t = at::opmath_type<scalar_t>;
          if (S == 1 && C >= kWarpRowClasses) {
            const int blocks = grid_size(N, kCountThreads / 32, kMaxCountBlocks);
            confusion_logit_rows_kernel<scalar_t, acc_t>
                <<<blocks, kCountThreads, shared_bytes, stream>>>(
                    x.data_ptr<scalar_t>(), y, N, C, ignore_index, use_shared, out_cells,
                    bad_index);
          } else {
            const int blocks = grid_size(positions, kCountThreads, kMaxCountBlocks);
            confusion_logits_kernel<scalar_t, acc_t>
                <<<blocks, kCountThreads, shared_bytes, stream>>>(
                    x.data_ptr<scalar_t>(), y, positions, C, S, ignore_index, use_shared,
                    out_cells, bad_index);
          }
          C10_CUDA_KERNEL_LAUNCH_CHECK();
        });
  }
  // Out-of-range pairs were not counted; reporting them reads the index back (a sync).
  if (!host_checks_enabled(input.device())) return out;
  const int64_t bad_at = bad.item<int64_t>();
  if (bad_at != std::numeric_limits<int64_t>::max()) {
    const int64_t t = target.view({-1})[bad_at].item<int64_t>();
    TORCH_CHECK_INDEX(t >= 0 && t < C, "confusion_matrix: target must be in [0, ", C,
                      ") or ignore_index (", ignore_index, "), got ", t, " at flat index ",
                      bad_at);
    TORCH_CHECK_INDEX(false, "confusion_matrix: predictions must be in [0, ", C, "), got ",
                      x.view({-1})[bad_at].item<int64_t>(), " at flat index ", bad_at);
  }
  return out;
}

} // namespace cuda
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, CUDA, m) {
  m.impl("confusion_matrix", &rebalance::cuda::confusion_matrix_cuda);
}
