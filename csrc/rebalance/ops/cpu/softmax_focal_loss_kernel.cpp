#include "rebalance/ops/cpu/softmax_focal_loss_kernel.h"

#include "rebalance/ops/cpu/capability.h"
#include "rebalance/ops/cpu/focal_math.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <torch/library.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/functional.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

namespace rebalance {
namespace cpu {
namespace CPU_CAPABILITY {
namespace {

template <typename T>
struct SoftmaxFocalArgs {
  FocalModulator<T> modulator;
  T smoothing;      // label smoothing epsilon
  const T* weight;  // (C,) or nullptr
  int64_t num_classes;
};

/// Per-class focal terms (focal::class_term) of a class with -log p = nl.
template <typename T>
struct ClassTerm {
  T f, G, a;
  ClassTerm(T nl, const FocalModulator<T>& mod) {
    focal::class_term(nl, std::exp(-nl), mod.gamma(), mod.kind(), a, f, G);
  }
};

/// Max m and s = sum_j exp(x_j - m) of one row of C logits (NaN if any is NaN); writes the
/// exp(x_j - m) into e when e is non-null.
template <typename T>
void row_max_sum(const T* x, int64_t C, T* e, T& mx, T& s) {
  using Vec = at::vec::Vectorized<T>;
  constexpr int64_t V = Vec::size();
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const int64_t C_vec = C - C % V;
  const int64_t tail = C - C_vec;
  // The tail as one more vector padded with -inf: exp(-inf - max) = 0, so the padding drops out
  // of the max and the sum, and rows shorter than a vector still run vectorised.
  T x_tail[V];
  for (int64_t k = 0; k < V; ++k) x_tail[k] = k < tail ? x[C_vec + k] : kNegInf;
  Vec vmax(kNegInf);
  for (int64_t i = 0; i < C_vec; i += V) vmax = at::vec::maximum(vmax, Vec::loadu(x + i));
  if (tail > 0) vmax = at::vec::maximum(vmax, Vec::loadu(x_tail));
  // Shuffle-tree reductions (fixed order); maximum propagates NaN.
  mx = at::vec::vec_reduce_all<T>(
      [](const Vec& a, const Vec& b) { return at::vec::maximum(a, b); }, vmax);
  const Vec vmx(mx);
  Vec vsum(T(0));
  for (int64_t i = 0; i < C_vec; i += V) {
    const Vec ev = (Vec::loadu(x + i) - vmx).exp();
    if (e != nullptr) ev.store(e + i);
    vsum = vsum + ev;
  }
  if (tail > 0) {
    const Vec ev = (Vec::loadu(x_tail) - vmx).exp();
    if (e != nullptr) ev.store(e + C_vec, tail);
    vsum = vsum + ev;
  }
  s = at::vec::vec_reduce_all<T>([](const Vec& a, const Vec& b) { return a + b; }, vsum);
}

/// One row of C logits with a valid target y. Writes the gradient row into grad (if non-null)
/// and returns the row's loss (weighted; NaN/inf when the logits are not finite).
///   no smoothing: loss = w_y f_y nl_y,  grad_j = w_y G_y (p_j - [j = y])
///   smoothing e:  q_c = e/C + (1 - e)[c = y],  loss = sum_c q_c w_c f_c nl_c,
///                 grad_j = p_j S - q_j w_j G_j with S = sum_c q_c w_c G_c.
template <typename T>
T softmax_focal_row(const T* x, int64_t y, const SoftmaxFocalArgs<T>& args, T* grad,
                    T* scratch_e, T* scratch_g) {
  using Vec = at::vec::Vectorized<T>;
  constexpr int64_t V = Vec::size();
  const int64_t C = args.num_classes;
  const int64_t C_vec = C - C % V;
  T* e = grad != nullptr ? grad : scratch_e;
  T mx, s;
  row_max_sum(x, C, e, mx, s);
  const T lse = mx + std::log(s);
  const T w_y = args.weight != nullptr ? args.weight[y] : T(1);
  const T nl_y = lse - x[y];
  const ClassTerm<T> target_term(nl_y, args.modulator);

  if (args.smoothing == 0) {
    if (grad != nullptr) {
      const T G = w_y * target_term.G;
      const T scale = G / s;
      const Vec vscale(scale);
      for (int64_t i = 0; i < C_vec; i += V) (Vec::loadu(e + i) * vscale).store(grad + i);
      for (int64_t i = C_vec; i < C; ++i) grad[i] = e[i] * scale;
      grad[y] = -G * target_term.a;
    }
    return w_y * target_term.f * nl_y;
  }

  // Label smoothing: every class contributes; per-class terms in scratch_g (w_c G_c).
  const T base = args.smoothing / static_cast<T>(C);
  const T main = T(1) - args.smoothing;
  const T inv_s = T(1) / s;
  const Vec zero(T(0)), one(T(1)), vlse(lse), vinv_s(inv_s), gamma(args.modulator.gamma());
  Vec vloss(T(0)), vg(T(0));
  for (int64_t i = 0; i < C_vec; i += V) {
    const Vec nl = vlse - Vec::loadu(x + i);
    const Vec a = zero - (zero - nl).expm1();
    const Vec p = Vec::loadu(e + i) * vinv_s;
    const Vec f = args.modulator(a);
    const Vec r = Vec::blendv(one, nl / a, a > zero);
    const Vec wc = args.weight != nullptr ? Vec::loadu(args.weight + i) : one;
    const Vec wG = wc * f * (one + gamma * p * r);
    vloss = vloss + wc * f * nl;
    vg = vg + wG;
    wG.store(scratch_g + i);
  }
  T loss_sum = lane_sum(vloss), g_sum = lane_sum(vg);
  for (int64_t i = C_vec; i < C; ++i) {
    const ClassTerm<T> term(lse - x[i], args.modulator);
    const T wc = args.weight != nullptr ? args.weight[i] : T(1);
    loss_sum += wc * term.f * (lse - x[i]);
    scratch_g[i] = wc * term.G;
    g_sum += scratch_g[i];
  }
  if (grad != nullptr) {
    const T S = base * g_sum + main * w_y * target_term.G;
    const T S_over_s = S * inv_s;
    const Vec vS_over_s(S_over_s), vbase(base);
    for (int64_t i = 0; i < C_vec; i += V) {
      (Vec::loadu(e + i) * vS_over_s - vbase * Vec::loadu(scratch_g + i)).store(grad + i);
    }
    for (int64_t i = C_vec; i < C; ++i) grad[i] = e[i] * S_over_s - base * scratch_g[i];
    grad[y] -= main * w_y * target_term.G;
  }
  return base * loss_sum + main * w_y * target_term.f * nl_y;
}

/// Partial sums of one reduction block.
struct BlockSums {
  double loss = 0, weight = 0;
  bool finite = true;
};

/// Rows [r0, r1) without label smoothing, with the per-row focal terms (log, expm1, exp,
/// modulator) computed for V rows per vector: on short rows those scalar calls would cost more
/// than the row itself. Same formulas as softmax_focal_row.
template <typename T>
void softmax_focal_rows(const T* x, const int64_t* y, int64_t r0, int64_t r1,
                        int64_t ignore_index, const SoftmaxFocalArgs<T>& args, T* loss_out,
                        T* grad_out, BlockSums& sums) {
  using Vec = at::vec::Vectorized<T>;
  constexpr int64_t V = Vec::size();
  constexpr int64_t kChunk = 8 * V;
  const int64_t C = args.num_classes;
  T mx[kChunk], s[kChunk], xy[kChunk], wy[kChunk], loss[kChunk], scale[kChunk], gy[kChunk];
  const Vec zero(T(0)), one(T(1)), gamma(args.modulator.gamma());
  for (int64_t c0 = r0; c0 < r1; c0 += kChunk) {
    const int64_t n = std::min(kChunk, r1 - c0);
    const int64_t n_vec = (n + V - 1) / V * V;
    for (int64_t i = 0; i < n_vec; ++i) {  // ignored rows and padding: finite dummies, weight 0
      mx[i] = T(0), s[i] = T(1), xy[i] = T(0), wy[i] = T(0);
      const int64_t r = c0 + i;
      if (i >= n || y[r] == ignore_index) continue;
      row_max_sum(x + r * C, C, grad_out != nullptr ? grad_out + r * C : nullptr, mx[i], s[i]);
      xy[i] = x[r * C + y[r]];
      wy[i] = args.weight != nullptr ? args.weight[y[r]] : T(1);
    }
    for (int64_t i = 0; i < n_vec; i += V) {
      const Vec vs = Vec::loadu(s + i);
      const Vec nl = Vec::loadu(mx + i) + vs.log() - Vec::loadu(xy + i);
      const Vec a = zero - (zero - nl).expm1();
      const Vec p = (zero - nl).exp();
      const Vec f = args.modulator(a);
      const Vec r = Vec::blendv(one, nl / a, a > zero);
      const Vec w = Vec::loadu(wy + i);
      const Vec wG = w * f * (one + gamma * p * r);
      (w * f * nl).store(loss + i);
      (wG / vs).store(scale + i);
      (zero - wG * a).store(gy + i);
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = c0 + i;
      T* grow = grad_out != nullptr ? grad_out + r * C : nullptr;
      if (y[r] == ignore_index) {
        if (loss_out != nullptr) loss_out[r] = T(0);
        if (grow != nullptr) std::fill(grow, grow + C, T(0));
        continue;
      }
      if (grow != nullptr) {
        const Vec vscale(scale[i]);
        int64_t j = 0;
        for (; j + V <= C; j += V) (Vec::loadu(grow + j) * vscale).store(grow + j);
        for (; j < C; ++j) grow[j] *= scale[i];
        grow[y[r]] = gy[i];
      }
      sums.finite = sums.finite && std::isfinite(loss[i]);
      if (loss_out != nullptr) loss_out[r] = loss[i];
      sums.loss += loss[i];
      sums.weight += wy[i];
    }
  }
}

template <typename scalar_t>
void softmax_focal_loss_loop(const at::Tensor& logits, const at::Tensor& target,
                             const at::Tensor& weight, double gamma, int64_t ignore_index,
                             double label_smoothing, at::Tensor& loss, at::Tensor& grad,
                             double& total_loss, double& total_weight) {
  using opmath_t = at::opmath_type<scalar_t>;
  constexpr bool kConvert = !std::is_same<scalar_t, opmath_t>::value;
  const int64_t rows = logits.size(0);
  const int64_t C = logits.size(1);
  const scalar_t* x = logits.data_ptr<scalar_t>();
  const int64_t* y = target.data_ptr<int64_t>();
  const opmath_t* w = weight.defined() ? weight.data_ptr<opmath_t>() : nullptr;
  scalar_t* loss_out = loss.defined() ? loss.data_ptr<scalar_t>() : nullptr;
  scalar_t* grad_out = grad.defined() ? grad.data_ptr<scalar_t>() : nullptr;
  const SoftmaxFocalArgs<opmath_t> args{FocalModulator<opmath_t>(static_cast<opmath_t>(gamma)),
                                        static_cast<opmath_t>(label_smoothing), w, C};

  const int64_t rows_per_block = std::max<int64_t>(1, kReductionBlock / std::max<int64_t>(C, 1));
  const int64_t num_blocks = (rows + rows_per_block - 1) / rows_per_block;
  std::vector<double> partial_loss(num_blocks, 0.0), partial_weight(num_blocks, 0.0);
  std::vector<char> finite(num_blocks, 1);
  at::parallel_for(0, num_blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<opmath_t> buffer((kConvert ? 2 : 0) * C + 2 * C);
    opmath_t* scratch_e = buffer.data();
    opmath_t* scratch_g = scratch_e + C;
    opmath_t* xbuf = scratch_g + C;
    opmath_t* gbuf = xbuf + (kConvert ? C : 0);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r1 = std::min(rows, (b + 1) * rows_per_block);
      if constexpr (!kConvert) {
        if (label_smoothing == 0) {
          BlockSums sums;
          softmax_focal_rows(x, y, b * rows_per_block, r1, ignore_index, args, loss_out,
                             grad_out, sums);
          partial_loss[b] = sums.loss;
          partial_weight[b] = sums.weight;
          finite[b] = sums.finite;
          continue;
        }
      }
      double block_loss = 0, block_weight = 0;
      bool block_finite = true;
      for (int64_t r = b * rows_per_block; r < r1; ++r) {
        const int64_t yr = y[r];
        scalar_t* grow = grad_out != nullptr ? grad_out + r * C : nullptr;
        if (yr == ignore_index) {
          if (loss_out != nullptr) loss_out[r] = scalar_t(0);
          if (grow != nullptr) std::fill(grow, grow + C, scalar_t(0));
          continue;
        }
        opmath_t row_loss;
        if constexpr (kConvert) {
          for (int64_t c = 0; c < C; ++c) xbuf[c] = static_cast<opmath_t>(x[r * C + c]);
          row_loss = softmax_focal_row(xbuf, yr, args, grow ? gbuf : nullptr, scratch_e, scratch_g);
          for (int64_t c = 0; grow != nullptr && c < C; ++c) grow[c] = gbuf[c];
        } else {
          row_loss = softmax_focal_row(x + r * C, yr, args, grow, scratch_e, scratch_g);
        }
        block_finite = block_finite && std::isfinite(row_loss);
        if (loss_out != nullptr) loss_out[r] = static_cast<scalar_t>(row_loss);
        block_loss += row_loss;
        block_weight += w != nullptr ? w[yr] : 1.0;
      }
      partial_loss[b] = block_loss;
      partial_weight[b] = block_weight;
      finite[b] = block_finite;
    }
  });
  TORCH_CHECK_VALUE(std::all_of(finite.begin(), finite.end(), [](char c) { return c != 0; }),
                    "softmax_focal_loss: logits must be finite, got NaN or inf (or -inf at a "
                    "target class)");
  total_loss = 0;
  total_weight = 0;
  for (int64_t b = 0; b < num_blocks; ++b) {
    total_loss += partial_loss[b];
    total_weight += partial_weight[b];
  }
}

void check_targets_in_range(const at::Tensor& target, int64_t C, int64_t ignore_index) {
  const int64_t* y = target.data_ptr<int64_t>();
  const int64_t n = target.numel();
  for (int64_t i = 0; i < n; ++i) {
    TORCH_CHECK_INDEX(y[i] == ignore_index || (y[i] >= 0 && y[i] < C),
                      "softmax_focal_loss: target must be in [0, ", C, ") or ignore_index (",
                      ignore_index, "), got ", y[i], " at flat position ", i);
  }
}

} // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward_kernel(
    const at::Tensor& logits_in, const at::Tensor& target_in, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction_name,
    int64_t ignore_index, double label_smoothing, bool compute_grad) {
  detail::check_softmax_focal_loss_args(logits_in, target_in, gamma, class_weight,
                                        label_smoothing);
  const Reduction reduction = parse_reduction("softmax_focal_loss", reduction_name);
  const at::Tensor logits = detail::class_rows(logits_in);
  const int64_t C = logits.size(1);
  const at::Tensor target = target_in.reshape({-1}).contiguous();
  check_targets_in_range(target, C, ignore_index);
  at::Tensor weight;
  if (class_weight.has_value() && class_weight->defined()) {
    weight = class_weight->detach().to(at::toOpMathType(logits.scalar_type())).contiguous();
  }
  at::Tensor loss =
      reduction == Reduction::None ? at::empty({logits.size(0)}, logits.options()) : at::Tensor();
  at::Tensor grad = compute_grad ? at::empty_like(logits) : at::Tensor();
  double total_loss = 0, total_weight = 0;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, logits.scalar_type(),
                                  "softmax_focal_loss", [&] {
                                    softmax_focal_loss_loop<scalar_t>(
                                        logits, target, weight, gamma, ignore_index,
                                        label_smoothing, loss, grad, total_loss, total_weight);
                                  });
  double normalizer = 1;
  if (reduction == Reduction::Mean && total_weight > 0) normalizer = total_weight;
  if (reduction == Reduction::None) {
    loss = loss.view(target_in.sizes());
  } else {
    loss = at::scalar_tensor(total_loss / normalizer, logits.options());
  }
  return std::make_tuple(loss, grad, at::scalar_tensor(normalizer, at::kDouble));
}

} // namespace CPU_CAPABILITY

#ifdef REBALANCE_DEFAULT_CAPABILITY
using ForwardResult = std::tuple<at::Tensor, at::Tensor, at::Tensor>;
REBALANCE_CPU_DISPATCH_DECLARE(ForwardResult, softmax_focal_loss_forward_kernel,
                               const at::Tensor&, const at::Tensor&, double,
                               const rebalance::optional<at::Tensor>&, rebalance::string_view, int64_t,
                               double, bool)

std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward_cpu(
    const at::Tensor& logits, const at::Tensor& target, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    int64_t ignore_index, double label_smoothing, bool compute_grad) {
  REBALANCE_CPU_DISPATCH_CALL(softmax_focal_loss_forward_kernel, logits, target, gamma,
                              class_weight, reduction, ignore_index, label_smoothing,
                              compute_grad)
}
#endif

} // namespace cpu
} // namespace rebalance

#ifdef REBALANCE_DEFAULT_CAPABILITY
TORCH_LIBRARY_IMPL(rebalance, CPU, m) {
  m.impl("_softmax_focal_loss_forward", &rebalance::cpu::softmax_focal_loss_forward_cpu);
}
#endif
