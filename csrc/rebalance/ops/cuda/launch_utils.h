#pragma once

// Host-side helpers shared by the CUDA launchers (not device code).
#include "rebalance/ops/checks.h"

#include <c10/core/Device.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace rebalance {
namespace cuda {

/// Blocks for `work` items of which one block handles `per_block` at a time, capped at
/// `max_blocks`; at least 1. Depends only on the sizes, so reductions are reproducible on any GPU.
inline int grid_size(int64_t work, int64_t per_block, int64_t max_blocks) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<int>(std::max<int64_t>(1, std::min(blocks, max_blocks)));
}

/// The float64 whose bits a kernel stored in an int64 (finalize_reduction_kernel's info[1]).
inline double double_from_bits(int64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// Whether a launcher runs the data-dependent checks that read a status back to the host:
/// checks_enabled(), and the current stream of `device` is not being captured (capture
/// forbids the copy).
inline bool host_checks_enabled(const c10::Device& device) {
  if (!checks_enabled()) return false;
  // cudaStreamIsCapturing itself, not a c10 wrapper: one PyTorch-version dependency less.
  const cudaStream_t stream =
      c10::cuda::getCurrentCUDAStream(device.is_cuda() ? device.index() : -1);
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  C10_CUDA_CHECK(cudaStreamIsCapturing(stream, &status));
  return status == cudaStreamCaptureStatusNone;
}

} // namespace cuda
} // namespace rebalance
