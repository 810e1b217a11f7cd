#pragma once

// Deterministic reductions shared by the CUDA kernels: every block writes one partial sum, a
// single-block pass adds the partials in index order. No floating-point atomics, so a result
// depends only on the input and the grid size, which the launchers derive from the input size.
#include <cstdint>

namespace rebalance {
namespace cuda {

/// Threads per block of every reducing kernel (a multiple of 32).
constexpr int kThreads = 256;
/// Upper bound on the blocks (and partial sums) of one reducing launch.
constexpr int kMaxPartials = 1024;

/// Status bits a forward pass reports; a block's bit is set when all its elements pass.
constexpr int kFiniteLogits = 1;
constexpr int kTargetsInRange = 2;

/// Sum of v over the block in a fixed order (shuffles within warps, then the warp sums in
/// warp order); the result is valid in thread 0. shared: kThreads / 32 doubles.
__device__ inline double block_sum(double v, double* shared) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  double total = 0;
  if (threadIdx.x == 0) {
    for (int w = 0; w < static_cast<int>(blockDim.x >> 5); ++w) total += shared[w];
  }
  __syncthreads();
  return total;
}

/// Bits set in `bits` of every thread of the block (all threads must call it).
__device__ inline int block_and_bits(int bits) {
  int out = 0;
  if (__syncthreads_and(bits & kFiniteLogits)) out |= kFiniteLogits;
  if (__syncthreads_and(bits & kTargetsInRange)) out |= kTargetsInRange;
  return out;
}

/// Second pass, one block of kThreads threads, over `blocks` partials:
///   total = sum loss_partial; normalizer = weight_partial ? (mean && sum > 0 ? sum : 1)
///   : (mean ? fixed_normalizer : 1); loss_out[0] = total / normalizer (when non-null);
///   info[0] = AND of ok_partial; info[1] = the bits of the float64 normalizer.
template <typename scalar_t>
__global__ void finalize_reduction_kernel(const double* loss_partial,
                                          const double* weight_partial, const int* ok_partial,
                                          int blocks, bool mean, double fixed_normalizer,
                                          scalar_t* loss_out, int64_t* info) {
  __shared__ double shared[kThreads / 32];
  double loss = 0, weight = 0;
  int ok = kFiniteLogits | kTargetsInRange;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
    loss += loss_partial[b];
    if (weight_partial != nullptr) weight += weight_partial[b];
    ok &= ok_partial[b];
  }
  ok = block_and_bits(ok);
  loss = block_sum(loss, shared);
  weight = block_sum(weight, shared);
  if (threadIdx.x == 0) {
    double normalizer = 1;
    if (mean) normalizer = weight_partial != nullptr ? (weight > 0 ? weight : 1) : fixed_normalizer;
    if (loss_out != nullptr) loss_out[0] = static_cast<scalar_t>(loss / normalizer);
    info[0] = ok;
    info[1] = __double_as_longlong(normalizer);
  }
}

} // namespace cuda
} // namespace rebalance
