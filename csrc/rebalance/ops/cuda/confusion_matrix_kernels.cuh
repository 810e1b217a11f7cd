#pragma once

// Device code of the confusion matrix (no ATen / binding-layer types). Counts are integer
// atomics, whose sum does not depend on their order; the smallest bad flat index is an
// atomicMin, also order-free.
#include <cstdint>

namespace rebalance {
namespace cuda {

/// Threads per block of the counting kernels.
constexpr int kCountThreads = 256;
/// Matrices up to this many cells are counted per block in shared memory first (32-bit).
constexpr int kSharedCells = 4096;

/// (value, index) pair of a running argmax with torch.argmax's rule: the first NaN wins,
/// otherwise the larger value, ties to the smaller index.
template <typename acc_t>
struct ArgMax {
  acc_t value;
  int64_t index;
};

template <typename acc_t>
__host__ __device__ __forceinline__ bool argmax_better(acc_t v, int64_t i,
                                                      const ArgMax<acc_t>& best) {
  const bool v_nan = isnan(v), best_nan = isnan(best.value);
  if (v_nan || best_nan) return v_nan && (!best_nan || i < best.index);
  return v > best.value || (v == best.value && i < best.index);
}

/// Adds one (target, prediction) pair to the counts (shared when cells != nullptr) or records
/// the flat index of an out-of-range pair. Targets equal to ignore_index are skipped.
__device__ __forceinline__ void count_pair(int64_t t, int64_t p, int64_t flat, int64_t C,
                                           int64_t ignore_index, unsigned* shared_cells,
                                           unsigned long long* cells,
                                           unsigned long long* bad_index) {
  if (t == ignore_index) return;
  if (t < 0 || t >= C || p < 0 || p >= C) {
    atomicMin(bad_index, static_cast<unsigned long long>(flat));
    return;
  }
  if (shared_cells != nullptr) {
    atomicAdd(shared_cells + t * C + p, 1u);
  } else {
    atomicAdd(cells + t * C + p, 1ull);
  }
}

__device__ __forceinline__ void clear_shared(unsigned* shared_cells, int64_t cells) {
  for (int64_t k = threadIdx.x; k < cells; k += blockDim.x) shared_cells[k] = 0;
  __syncthreads();
}

__device__ __forceinline__ void flush_shared(const unsigned* shared_cells, int64_t cells,
                                             unsigned long long* out) {
  __syncthreads();
  for (int64_t k = threadIdx.x; k < cells; k += blockDim.x) {
    if (shared_cells[k] != 0) atomicAdd(out + k, static_cast<unsigned long long>(shared_cells[k]));
  }
}

/// int64 predictions: one (target[i], pred[i]) pair per element, n elements.
__global__ void __launch_bounds__(kCountThreads)
    confusion_predictions_kernel(const int64_t* __restrict__ pred,
                                 const int64_t* __restrict__ target, int64_t n, int64_t C,
                                 int64_t ignore_index, bool use_shared,
                                 unsigned long long* out, unsigned long long* bad_index) {
  extern __shared__ unsigned shared_cells[];
  unsigned* cells = use_shared ? shared_cells : nullptr;
  if (use_shared) clear_shared(shared_cells, C * C);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    count_pair(target[i], pred[i], i, C, ignore_index, cells, out, bad_index);
  }
  if (use_shared) flush_shared(shared_cells, C * C, out);
}

/// Logits (N, C, S) (S = d1 * ... , 1 for (N, C)): one thread per position (n, s) takes the
/// argmax over c of logits[n, c, s]; positions = N * S, target flat index n * S + s.
template <typename scalar_t, typename acc_t>
__global__ void __launch_bounds__(kCountThreads)
    confusion_logits_kernel(const scalar_t* __restrict__ logits,
                            const int64_t* __restrict__ target, int64_t positions, int64_t C,
                            int64_t S, int64_t ignore_index, bool use_shared,
                            unsigned long long* out, unsigned long long* bad_index) {
  extern __shared__ unsigned shared_cells[];
  unsigned* cells = use_shared ? shared_cells : nullptr;
  if (use_shared) clear_shared(shared_cells, C * C);
  for (int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; u < positions;
       u += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = target[u];
    if (t == ignore_index) continue;
    const int64_t n = u / S, s = u - n * S;
    const scalar_t* x = logits + n * C * S + s;
    ArgMax<acc_t> best{static_cast<acc_t>(x[0]), 0};
    for (int64_t c = 1; c < C && !isnan(best.value); ++c) {
      const acc_t v = static_cast<acc_t>(x[c * S]);
      if (argmax_better(v, c, best)) best = {v, c};
    }
    count_pair(t, best.index, u, C, ignore_index, cells, out, bad_index);
  }
  if (use_shared) flush_shared(shared_cells, C * C, out);
}

/// Logits (N, C) with many classes: one warp per row, lanes read the row coalesced.
template <typename scalar_t, typename acc_t>
__global__ void __launch_bounds__(kCountThreads)
    confusion_logit_rows_kernel(const scalar_t* __restrict__ logits,
                                const int64_t* __restrict__ target, int64_t rows, int64_t C,
                                int64_t ignore_index, bool use_shared, unsigned long long* out,
                                unsigned long long* bad_index) {
  extern __shared__ unsigned shared_cells[];
  unsigned* cells = use_shared ? shared_cells : nullptr;
  if (use_shared) clear_shared(shared_cells, C * C);
  const int lane = threadIdx.x & 31;
  const int64_t warps_per_block = blockDim.x / 32;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / 32;
       row < rows; row += static_cast<int64_t>(gridDim.x) * warps_per_block) {
    const int64_t t = target[row];
    if (t == ignore_index) continue;
    const scalar_t* x = logits + row * C;
    ArgMax<acc_t> best{static_cast<acc_t>(x[0]), 0};
    for (int64_t c = lane; c < C; c += 32) {
      const acc_t v = static_cast<acc_t>(x[c]);
      if (argmax_better(v, c, best)) best = {v, c};
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
      const acc_t v = __shfl_xor_sync(0xffffffffu, best.value, offset);
      const int64_t i = __shfl_xor_sync(0xffffffffu, best.index, offset);
      if (argmax_better(v, i, best)) best = {v, i};
    }
    if (lane == 0) count_pair(t, best.index, row, C, ignore_index, cells, out, bad_index);
  }
  if (use_shared) flush_shared(shared_cells, C * C, out);
}

} // namespace cuda
} // namespace rebalance
