#include "rebalance/ops/cpu/sigmoid_focal_loss_kernel.h"

#include "rebalance/ops/cpu/capability.h"
#include "rebalance/ops/cpu/focal_math.h"
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/sigmoid_focal_loss.h"

#include <torch/library.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace rebalance {
namespace cpu {
namespace CPU_CAPABILITY {
namespace {

template <typename T>
struct SigmoidFocalArgs {
  T alpha;
  bool use_alpha;
  FocalModulator<T> modulator;
};

/// Elements [0, n) of one block. Writes loss (if non-null) and grad (if non-null), returns the
/// block's loss sum, clears ok_x/ok_t on a non-finite logit or a target outside [0, 1].
///   ce = max(x, 0) - x t + log1p(e), e = exp(-|x|) in (0, 1],  p = sigmoid(x),
///   q = sigmoid(-x) (no 1 - p cancellation), m = 1 - p_t = p (1 - t) + q t, a = alpha_t * w.
///   loss = a ce m^g;  d loss/dx = a [(p - t) m^g + g ce m^g r (1 - 2t)] with r = p q / m <= 1,
///   which equals m^(g-1) p (1 - p) / m^g and is 0 where m = 0: no pow(m, g - 1).
template <typename T>
T sigmoid_focal_block(const T* x, const T* t, const T* w, T* loss, T* grad, int64_t n,
                      const SigmoidFocalArgs<T>& args, bool& ok_x, bool& ok_t) {
  using Vec = at::vec::Vectorized<T>;
  constexpr int64_t V = Vec::size();
  const Vec zero(T(0)), one(T(1)), two(T(2)), max_finite(std::numeric_limits<T>::max());
  const Vec alpha(args.alpha), one_minus_alpha(T(1) - args.alpha), gamma(args.modulator.gamma());
  const bool need_r = args.modulator.gamma() != 0;
  Vec sum(T(0)), okx(T(0)), okt(T(0));
  okx = okx == okx;  // all-ones lanes
  okt = okx;
  for (int64_t i = 0; i < n; i += V) {
    const int64_t len = std::min<int64_t>(V, n - i);
    const Vec xv = Vec::loadu(x + i, len);
    const Vec tv = Vec::loadu(t + i, len);
    okx = okx & (xv.abs() <= max_finite);
    okt = okt & (tv >= zero) & (tv <= one);
    const Vec e = (zero - xv.abs()).exp();
    const Vec inv = one / (one + e);
    const Vec positive = xv >= zero;
    const Vec p = Vec::blendv(e * inv, inv, positive);
    const Vec q = Vec::blendv(inv, e * inv, positive);
    const Vec ce = at::vec::maximum(xv, zero) - xv * tv + log1p_unit(e);
    const Vec m = p * (one - tv) + q * tv;
    const Vec f = args.modulator(m);
    Vec a = args.use_alpha ? alpha * tv + one_minus_alpha * (one - tv) : one;
    if (w != nullptr) a = a * Vec::loadu(w + i, len);
    Vec l = a * ce * f;
    if (len < V) l = Vec::set(zero, l, len);
    sum = sum + l;
    if (loss != nullptr) l.store(loss + i, len);
    if (grad != nullptr) {
      Vec g = (p - tv) * f;
      if (need_r) {
        const Vec r = Vec::blendv(zero, p * q / m, m > zero);
        g = g + gamma * ce * f * r * (one - two * tv);
      }
      (a * g).store(grad + i, len);
    }
  }
  ok_x = ok_x && okx.zero_mask() == 0;
  ok_t = ok_t && okt.zero_mask() == 0;
  return lane_sum(sum);
}

template <typename scalar_t>
void sigmoid_focal_loss_loop(const at::Tensor& logits, const at::Tensor& targets,
                             const at::Tensor& weight, double alpha, double gamma,
                             at::Tensor& loss, at::Tensor& grad, double& total) {
  using opmath_t = at::opmath_type<scalar_t>;
  constexpr bool kConvert = !std::is_same<scalar_t, opmath_t>::value;
  const int64_t numel = logits.numel();
  const int64_t num_classes = logits.dim() == 0 ? 1 : logits.size(-1);
  const scalar_t* x = logits.data_ptr<scalar_t>();
  const scalar_t* t = targets.data_ptr<scalar_t>();
  const opmath_t* w = weight.defined() ? weight.data_ptr<opmath_t>() : nullptr;
  scalar_t* loss_out = loss.defined() ? loss.data_ptr<scalar_t>() : nullptr;
  scalar_t* grad_out = grad.defined() ? grad.data_ptr<scalar_t>() : nullptr;
  const SigmoidFocalArgs<opmath_t> args{static_cast<opmath_t>(alpha), alpha >= 0,
                                        FocalModulator<opmath_t>(static_cast<opmath_t>(gamma))};

  const int64_t num_blocks = (numel + kReductionBlock - 1) / kReductionBlock;
  std::vector<double> partial(num_blocks, 0.0);
  std::vector<char> ok_x(num_blocks, 1), ok_t(num_blocks, 1);
  at::parallel_for(0, num_blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<opmath_t> buffer((kConvert ? 4 : 0) * kReductionBlock + (w ? kReductionBlock : 0));
    opmath_t* xbuf = buffer.data();
    opmath_t* tbuf = xbuf + (kConvert ? kReductionBlock : 0);
    opmath_t* lbuf = tbuf + (kConvert ? kReductionBlock : 0);
    opmath_t* gbuf = lbuf + (kConvert ? kReductionBlock : 0);
    opmath_t* wbuf = gbuf + (kConvert ? kReductionBlock : 0);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t start = b * kReductionBlock;
      const int64_t n = std::min(kReductionBlock, numel - start);
      const opmath_t* xb;
      const opmath_t* tb;
      opmath_t* lb = nullptr;
      opmath_t* gb = nullptr;
      if constexpr (kConvert) {
        for (int64_t k = 0; k < n; ++k) {
          xbuf[k] = static_cast<opmath_t>(x[start + k]);
          tbuf[k] = static_cast<opmath_t>(t[start + k]);
        }
        xb = xbuf;
        tb = tbuf;
        if (loss_out) lb = lbuf;
        if (grad_out) gb = gbuf;
      } else {
        xb = x + start;
        tb = t + start;
        if (loss_out) lb = loss_out + start;
        if (grad_out) gb = grad_out + start;
      }
      const opmath_t* wb = nullptr;
      if (w != nullptr) {
        for (int64_t k = 0, c = start % num_classes; k < n; ++k) {
          wbuf[k] = w[c];
          if (++c == num_classes) c = 0;
        }
        wb = wbuf;
      }
      bool okx = true, okt = true;
      partial[b] = static_cast<double>(sigmoid_focal_block(xb, tb, wb, lb, gb, n, args, okx, okt));
      ok_x[b] = okx;
      ok_t[b] = okt;
      if constexpr (kConvert) {
        for (int64_t k = 0; k < n && loss_out; ++k) loss_out[start + k] = lbuf[k];
        for (int64_t k = 0; k < n && grad_out; ++k) grad_out[start + k] = gbuf[k];
      }
    }
  });
  TORCH_CHECK_VALUE(std::all_of(ok_x.begin(), ok_x.end(), [](char c) { return c != 0; }),
                    "sigmoid_focal_loss: logits must be finite, got NaN or inf");
  TORCH_CHECK_VALUE(std::all_of(ok_t.begin(), ok_t.end(), [](char c) { return c != 0; }),
                    "sigmoid_focal_loss: targets must be in [0, 1], got a value outside it or NaN");
  total = 0;
  for (double s : partial) total += s;
}

} // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward_kernel(
    const at::Tensor& logits_in, const at::Tensor& targets_in, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction_name,
    bool compute_grad) {
  detail::check_sigmoid_focal_loss_args(logits_in, targets_in, alpha, gamma, class_weight);
  const Reduction reduction = parse_reduction("sigmoid_focal_loss", reduction_name);
  const at::Tensor logits = logits_in.contiguous();
  const at::Tensor targets = targets_in.to(logits.scalar_type()).contiguous();
  const auto opmath = at::toOpMathType(logits.scalar_type());
  at::Tensor weight;
  if (class_weight.has_value() && class_weight->defined()) {
    weight = class_weight->detach().to(opmath).contiguous();
  }
  at::Tensor loss = reduction == Reduction::None ? at::empty_like(logits) : at::Tensor();
  at::Tensor grad = compute_grad ? at::empty_like(logits) : at::Tensor();
  double total = 0;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, logits.scalar_type(),
                                  "sigmoid_focal_loss", [&] {
                                    sigmoid_focal_loss_loop<scalar_t>(logits, targets, weight,
                                                                      alpha, gamma, loss, grad,
                                                                      total);
                                  });
  double normalizer = 1;
  if (reduction == Reduction::Mean && logits.numel() > 0) {
    normalizer = static_cast<double>(logits.numel());
  }
  if (reduction != Reduction::None) {
    loss = at::scalar_tensor(total / normalizer, logits.options());
  }
  return std::make_tuple(loss, grad, at::scalar_tensor(normalizer, at::kDouble));
}

} // namespace CPU_CAPABILITY

#ifdef REBALANCE_DEFAULT_CAPABILITY
using ForwardResult = std::tuple<at::Tensor, at::Tensor, at::Tensor>;
REBALANCE_CPU_DISPATCH_DECLARE(ForwardResult, sigmoid_focal_loss_forward_kernel,
                               const at::Tensor&, const at::Tensor&, double, double,
                               const rebalance::optional<at::Tensor>&, rebalance::string_view, bool)

std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward_cpu(
    const at::Tensor& logits, const at::Tensor& targets, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction, bool compute_grad) {
  REBALANCE_CPU_DISPATCH_CALL(sigmoid_focal_loss_forward_kernel, logits, targets, alpha, gamma,
                              class_weight, reduction, compute_grad)
}
#endif

} // namespace cpu
} // namespace rebalance

#ifdef REBALANCE_DEFAULT_CAPABILITY
TORCH_LIBRARY_IMPL(rebalance, CPU, m) {
  m.impl("_sigmoid_focal_loss_forward", &rebalance::cpu::sigmoid_focal_loss_forward_cpu);
}
#endif
