#pragma once

// Device code of the fused focal losses (no ATen / binding-layer types). scalar_t is the
// storage type, acc_t the float type the math runs in (float for half and bfloat16).
// Numerics follow the CPU kernels (ops/cpu/*_focal_loss_kernel.cpp).
#include "rebalance/ops/cuda/reduce.cuh"
#include "rebalance/ops/focal_term.h"

#include <cstdint>

namespace rebalance {
namespace cuda {

template <typename acc_t>
struct SigmoidFocalParams {
  acc_t alpha;
  acc_t gamma;
  int gamma_kind;
  bool use_alpha;
};

/// One element of the sigmoid focal loss (Lin et al. 2017), with e = exp(-|x|):
///   ce = max(x, 0) - x t + log1p(e),  p = sigmoid(x), q = sigmoid(-x) (no 1 - p cancellation),
///   m = 1 - p_t = p (1 - t) + q t,  a = alpha_t * w,  loss = a ce m^g,
///   d loss / dx = a [(p - t) m^g + g ce m^g r (1 - 2t)],  r = p q / m (0 where m = 0),
/// which avoids pow(m, g - 1).
template <typename acc_t>
__host__ __device__ __forceinline__ void sigmoid_focal_element(
    acc_t x, acc_t t, acc_t w, const SigmoidFocalParams<acc_t>& prm, acc_t& loss, acc_t& grad) {
  const acc_t e = exp(-fabs(x));
  const acc_t inv = acc_t(1) / (acc_t(1) + e);
  const bool positive = x >= acc_t(0);
  const acc_t p = positive ? inv : e * inv;
  const acc_t q = positive ? e * inv : inv;
  const acc_t ce = (x > acc_t(0) ? x : acc_t(0)) - x * t + log1p(e);
  const acc_t m = p * (acc_t(1) - t) + q * t;
  const acc_t f = focal::modulator(m, prm.gamma, prm.gamma_kind);
  acc_t a = prm.use_alpha ? prm.alpha * t + (acc_t(1) - prm.alpha) * (acc_t(1) - t) : acc_t(1);
  a *= w;
  loss = a * ce * f;
  acc_t g = (p - t) * f;
  if (prm.gamma_kind != 0) {
    const acc_t r = m > acc_t(0) ? p * q / m : acc_t(0);
    g += prm.gamma * ce * f * r * (acc_t(1) - acc_t(2) * t);
  }
  grad = a * g;
}

/// Elements handled per thread and tile: a tile is kThreads * kSigmoidUnroll consecutive
/// elements; block b reduces tiles b, b + gridDim.x, ... in order.
constexpr int kSigmoidUnroll = 4;

/// Fused sigmoid focal forward over n elements. weight: (C,) or nullptr, the element i uses
/// weight[i % C]. loss / grad: n outputs or nullptr. Writes the block's loss sum and status
/// bits to loss_partial[blockIdx.x] / ok_partial[blockIdx.x].
template <typename scalar_t, typename acc_t>
__global__ void __launch_bounds__(kThreads)
    sigmoid_focal_forward_kernel(const scalar_t* __restrict__ logits,
                                 const scalar_t* __restrict__ targets,
                                 const acc_t* __restrict__ weight, int64_t num_classes,
                                 int64_t n, SigmoidFocalParams<acc_t> prm,
                                 scalar_t* __restrict__ loss, scalar_t* __restrict__ grad,
                                 double* loss_partial, int* ok_partial) {
  __shared__ double shared[kThreads / 32];
  double sum = 0;  // float64: a thread adds up to n / (kMaxPartials * kThreads) elements
  bool finite = true, in_range = true;
  const int64_t tile = static_cast<int64_t>(kThreads) * kSigmoidUnroll;
  for (int64_t base = blockIdx.x * tile; base < n; base += gridDim.x * tile) {
    acc_t xs[kSigmoidUnroll], ts[kSigmoidUnroll], ws[kSigmoidUnroll];
#pragma unroll
    for (int k = 0; k < kSigmoidUnroll; ++k) {
      const int64_t i = base + k * kThreads + threadIdx.x;
      const bool valid = i < n;
      xs[k] = valid ? static_cast<acc_t>(logits[i]) : acc_t(0);
      ts[k] = valid ? static_cast<acc_t>(targets[i]) : acc_t(0);
      ws[k] = (valid && weight != nullptr) ? weight[i % num_classes] : acc_t(valid ? 1 : 0);
    }
#pragma unroll
    for (int k = 0; k < kSigmoidUnroll; ++k) {
      const int64_t i = base + k * kThreads + threadIdx.x;
      finite = finite && isfinite(xs[k]);
      in_range = in_range && ts[k] >= acc_t(0) && ts[k] <= acc_t(1);
      acc_t l, g;
      sigmoid_focal_element(xs[k], ts[k], ws[k], prm, l, g);
      if (i < n) {
        sum += static_cast<double>(l);
        if (loss != nullptr) loss[i] = static_cast<scalar_t>(l);
        if (grad != nullptr) grad[i] = static_cast<scalar_t>(g);
      }
    }
  }
  const int ok = block_and_bits((finite ? kFiniteLogits : 0) | (in_range ? kTargetsInRange : 0));
  const double total = block_sum(sum, shared);
  if (threadIdx.x == 0) {
    loss_partial[blockIdx.x] = total;
    ok_partial[blockIdx.x] = ok;
  }
}

template <typename acc_t>
struct SoftmaxFocalParams {
  acc_t gamma;
  int gamma_kind;
  acc_t smoothing;  // label smoothing epsilon
  int64_t num_classes;
  int64_t ignore_index;
};

/// Sum over the G lanes of a row group (G a power of two <= 32, groups aligned in the warp).
template <int G, typename T>
__device__ __forceinline__ T group_sum(T v, unsigned mask) {
#pragma unroll
  for (int offset = G / 2; offset > 0; offset >>= 1) v += __shfl_xor_sync(mask, v, offset, G);
  return v;
}

/// max that propagates NaN (as the CPU kernel's row maximum does).
template <typename T>
__host__ __device__ __forceinline__ T nan_max(T a, T b) {
  return (isnan(a) || a > b) ? a : b;
}

template <int G, typename T>
__device__ __forceinline__ T group_max(T v, unsigned mask) {
#pragma unroll
  for (int offset = G / 2; offset > 0; offset >>= 1) {
    v = nan_max(v, __shfl_xor_sync(mask, v, offset, G));
  }
  return v;
}

/// Softmax focal forward over `rows` rows of C contiguous logits, G lanes per row.
///   no smoothing: loss = w_y f_y nl_y,  grad_j = w_y G_y (p_j - [j = y])
///   smoothing e:  q_c = e/C + (1 - e)[c = y],  loss = sum_c q_c w_c f_c nl_c,
///                 grad_j = p_j S - (e/C) w_j G_j - [j = y] (1 - e) w_y G_y,
///                 S = sum_c q_c w_c G_c.
/// Rows whose target is ignore_index get loss 0 and a zero gradient; a target outside [0, C)
/// lowers *bad_row (atomicMin: the smallest such row) and the row is skipped. Writes the
/// block's loss sum, summed w_y of counted rows and status bits to the partial arrays.
template <typename scalar_t, typename acc_t, int G>
__global__ void __launch_bounds__(kThreads)
    softmax_focal_forward_kernel(const scalar_t* __restrict__ logits,
                                 const int64_t* __restrict__ target,
                                 const acc_t* __restrict__ weight, int64_t rows,
                                 SoftmaxFocalParams<acc_t> prm, scalar_t* __restrict__ loss,
                                 scalar_t* __restrict__ grad, double* loss_partial,
                                 double* weight_partial, int* ok_partial,
                                 unsigned long long* bad_row) {
  __shared__ double shared[kThreads / 32];
  constexpr int kGroupsPerBlock = kThreads / G;
  const int lane = threadIdx.x % G;
  const unsigned mask =
      G == 32 ? 0xffffffffu : (((1u << G) - 1u) << ((threadIdx.x & 31) & ~(G - 1)));
  const int64_t C = prm.num_classes;
  const acc_t base_q = prm.smoothing / static_cast<acc_t>(C);
  const acc_t main_q = acc_t(1) - prm.smoothing;
  double sum_loss = 0, sum_weight = 0;
  bool finite = true;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kGroupsPerBlock + threadIdx.x / G;
       row < rows; row += static_cast<int64_t>(gridDim.x) * kGroupsPerBlock) {
    const int64_t y = target[row];
    const scalar_t* x = logits + row * C;
    scalar_t* g_row = grad != nullptr ? grad + row * C : nullptr;
    if (y == prm.ignore_index || y < 0 || y >= C) {
      if (y != prm.ignore_index && lane == 0) {
        atomicMin(bad_row, static_cast<unsigned long long>(row));
      }
      if (lane == 0 && loss != nullptr) loss[row] = scalar_t(0);
      for (int64_t c = lane; g_row != nullptr && c < C; c += G) g_row[c] = scalar_t(0);
      continue;
    }
    acc_t mx = -INFINITY;
    for (int64_t c = lane; c < C; c += G) mx = nan_max(mx, static_cast<acc_t>(x[c]));
    mx = group_max<G>(mx, mask);
    acc_t s = 0;
    for (int64_t c = lane; c < C; c += G) s += exp(static_cast<acc_t>(x[c]) - mx);
    s = group_sum<G>(s, mask);
    const acc_t lse = mx + log(s);
    const acc_t inv_s = acc_t(1) / s;
    const acc_t w_y = weight != nullptr ? weight[y] : acc_t(1);
    const acc_t nl_y = lse - static_cast<acc_t>(x[y]);
    acc_t a_y, f_y, G_y;
    focal::class_term(nl_y, exp(-nl_y), prm.gamma, prm.gamma_kind, a_y, f_y, G_y);
    acc_t row_loss = w_y * f_y * nl_y;
    acc_t S = w_y * G_y;
    if (prm.smoothing != acc_t(0)) {
      acc_t loss_c = 0, g_c = 0;
      for (int64_t c = lane; c < C; c += G) {
        const acc_t xc = static_cast<acc_t>(x[c]);
        const acc_t wc = weight != nullptr ? weight[c] : acc_t(1);
        acc_t a, f, Gc;
        focal::class_term(lse - xc, exp(xc - mx) * inv_s, prm.gamma, prm.gamma_kind, a, f,
                          Gc);
        loss_c += wc * f * (lse - xc);
        g_c += wc * Gc;
      }
      loss_c = group_sum<G>(loss_c, mask);
      g_c = group_sum<G>(g_c, mask);
      row_loss = base_q * loss_c + main_q * row_loss;
      S = base_q * g_c + main_q * S;
    }
    if (g_row != nullptr) {
      for (int64_t c = lane; c < C; c += G) {
        const acc_t xc = static_cast<acc_t>(x[c]);
        const acc_t p = exp(xc - mx) * inv_s;
        acc_t gc;
        if (prm.smoothing != acc_t(0)) {
          const acc_t wc = weight != nullptr ? weight[c] : acc_t(1);
          acc_t a, f, Gc;
          focal::class_term(lse - xc, p, prm.gamma, prm.gamma_kind, a, f, Gc);
          gc = p * S - base_q * wc * Gc;
          if (c == y) gc -= main_q * w_y * G_y;
        } else {
          gc = c == y ? -S * a_y : p * S;
        }
        g_row[c] = static_cast<scalar_t>(gc);
      }
    }
    if (lane == 0) {
      if (loss != nullptr) loss[row] = static_cast<scalar_t>(row_loss);
      finite = finite && isfinite(row_loss);
      sum_loss += static_cast<double>(row_loss);
      sum_weight += static_cast<double>(w_y);
    }
  }
  const int ok = block_and_bits((finite ? kFiniteLogits : 0) | kTargetsInRange);
  const double total_loss = block_sum(sum_loss, shared);
  const double total_weight = block_sum(sum_weight, shared);
  if (threadIdx.x == 0) {
    loss_partial[blockIdx.x] = total_loss;
    weight_partial[blockIdx.x] = total_weight;
    ok_partial[blockIdx.x] = ok;
  }
}

} // namespace cuda
} // namespace rebalance
