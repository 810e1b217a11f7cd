#include "rebalance/ops/ldam_loss.h"

#include "rebalance/errors.h"
#include "rebalance/ops/softmax_focal_loss.h"
#include "rebalance/weighting/class_weights.h"

#include <ATen/Dispatch.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <cmath>

namespace rebalance {

at::Tensor ldam_loss(const at::Tensor& logits, const at::Tensor& target, const at::Tensor& margins,
                     double scale, const rebalance::optional<at::Tensor>& class_weight,
                     rebalance::string_view reduction, int64_t ignore_index) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::ldam_loss", "")
                       .typed<decltype(ldam_loss)>();
  return op.call(logits, target, margins, scale, class_weight, reduction, ignore_index);
}

at::Tensor ldam_margins(const at::Tensor& counts, double max_margin) {
  constexpr const char* op = "ldam_margins";
  TORCH_CHECK_VALUE(std::isfinite(max_margin) && max_margin >= 0, op,
                    ": max_margin must be finite and >= 0, got ", max_margin);
  const at::Tensor n = detail::checked_per_class(op, "counts", counts, -1);
  const at::Tensor present = n > 0;
  TORCH_CHECK_VALUE(present.any().item<bool>(), op, ": counts must not all be 0");
  // N_c^(-1/4) / max N^(-1/4) = (min N / N_c)^(1/4) over the present classes; absent ones get 1.
  const at::Tensor smallest = n.masked_select(present).min();
  const at::Tensor ratio = at::where(present, smallest / n.clamp_min(1e-300), at::ones_like(n));
  return (ratio.pow(0.25) * max_margin).to(counts.device(), detail::weight_dtype(counts));
}

namespace detail {
namespace {

/// Whether `t` is an ordinary tensor in host memory whose values can be read here: not a
/// FakeTensor, functional wrapper or other Python-dispatched tensor (torch.compile, export and
/// opcheck trace the op with those), nor on a device (reading it would sync).
bool readable_on_host(const at::Tensor& t) {
  const auto keys = t.key_set();
  return t.device().is_cpu() && !keys.has(c10::DispatchKey::Python) &&
         !keys.has(c10::DispatchKey::Functionalize);
}

void check_margin_values(const char* op, const at::Tensor& margins) {
  const at::Tensor m = margins.detach().contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, m.scalar_type(), "ldam_margins", [&] {
    const auto* data = m.data_ptr<scalar_t>();
    for (int64_t c = 0; c < m.numel(); ++c) {
      const double value = static_cast<double>(data[c]);
      TORCH_CHECK_VALUE(std::isfinite(value), op, ": margins must be finite, got ", m);
      TORCH_CHECK_VALUE(value >= 0, op, ": margins must be non-negative, got ", value,
                        " for class ", c);
    }
  });
}

} // namespace

at::Tensor ldam_loss_impl(const at::Tensor& logits, const at::Tensor& target,
                          const at::Tensor& margins, double scale,
                          const rebalance::optional<at::Tensor>& class_weight,
                          rebalance::string_view reduction, int64_t ignore_index) {
  constexpr const char* op = "ldam_loss";
  const int64_t class_dim = check_per_class_adjustment(op, logits, margins, "margins");
  TORCH_CHECK_TYPE(target.scalar_type() == at::kLong, op,
                   ": target must be int64 class indices, got ", target.scalar_type());
  TORCH_CHECK_VALUE(target.dim() == logits.dim() - 1, op,
                    ": target must have shape (N, d1, ...) for logits (N, C, d1, ...) (or () for "
                    "logits (C)); got logits ", logits.sym_sizes(), " and target ",
                    target.sym_sizes());
  TORCH_CHECK_VALUE(std::isfinite(scale) && scale > 0, op, ": scale must be finite and > 0, got ",
                    scale);
  if (readable_on_host(margins)) check_margin_values(op, margins);

  // adjusted = scale * logits, minus scale * margins[y] at each row's target: one pass over the
  // logits (its backward is one more); the margin goes in by a scatter of N values. The clamped
  // index is in range for any target (C as a 0-dim tensor keeps it symbolic); ignored and
  // out-of-range targets get no margin (the loss reports the latter).
  const at::Tensor last_class = at::ones_like(margins, at::kLong).sum() - 1;
  const at::Tensor index = at::minimum(target.clamp_min(0), last_class);
  const at::Tensor has_margin = target.eq(index).logical_and(target.ne(ignore_index));
  const at::Tensor margin = margins.to(logits.scalar_type()).take(index) * has_margin * -scale;
  at::Tensor adjusted = logits * scale;
  adjusted.scatter_add_(class_dim, index.unsqueeze(class_dim), margin.unsqueeze(class_dim));
  // Device margins are read only when the loss already failed (no sync otherwise).
  return cross_entropy_of_adjusted(op, adjusted, target, class_weight, reduction, ignore_index,
                                   margins, "margins");
}

} // namespace detail

namespace {

at::Tensor ldam_margins_meta(const at::Tensor& counts, double max_margin) {
  TORCH_CHECK_VALUE(counts.dim() == 1, "ldam_margins: counts must be 1-D, got ", counts.dim(),
                    " dimensions");
  return at::empty_symint({counts.sym_numel()},
                          counts.options().dtype(detail::weight_dtype(counts)));
}

} // namespace
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("ldam_loss(Tensor logits, Tensor target, Tensor margins, float scale=30.0, "
        "Tensor? class_weight=None, str reduction=\"mean\", int ignore_index=-100) -> Tensor");
  m.def("ldam_margins(Tensor counts, float max_margin=0.5) -> Tensor");
}

// Decomposes into ATen ops and rebalance::softmax_focal_loss (their autograd and Meta kernels):
// one softmax kernel serves both losses.
TORCH_LIBRARY_IMPL(rebalance, CompositeImplicitAutograd, m) {
  m.impl("ldam_loss", &rebalance::detail::ldam_loss_impl);
}

// The margins are a statistic of the counts (no gradient): one kernel for every backend.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("ldam_margins", &rebalance::ldam_margins);
}

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("ldam_margins", &rebalance::ldam_margins_meta);
}
