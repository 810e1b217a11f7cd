// Meta (fake) kernel of rebalance::_softmax_focal_loss_forward: output metadata only, in
// symbolic sizes, for torch.compile, torch.export and FakeTensor. The backend kernels run the
// full argument checks when the traced program runs.
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <torch/library.h>

namespace rebalance {
namespace meta {
namespace {

std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward_meta(
    const at::Tensor& logits, const at::Tensor& target, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    int64_t ignore_index, double label_smoothing, bool compute_grad) {
  constexpr const char* op = "softmax_focal_loss";
  TORCH_CHECK_TYPE(at::isFloatingType(logits.scalar_type()), op,
                   ": logits must be a floating-point tensor, got ", logits.scalar_type());
  TORCH_CHECK_TYPE(target.scalar_type() == at::kLong, op,
                   ": target must be int64 class indices, got ", target.scalar_type());
  TORCH_CHECK_VALUE(logits.dim() >= 1 && target.dim() == std::max<int64_t>(logits.dim() - 1, 0),
                    op, ": target must have shape (N, d1, ...) for logits (N, C, d1, ...) (or () ",
                    "for logits (C)); got logits ", logits.sym_sizes(), " and target ",
                    target.sym_sizes());
  const bool reduced = parse_reduction(op, reduction) != Reduction::None;
  at::Tensor loss = reduced ? at::empty({}, logits.options())
                            : at::empty_symint(target.sym_sizes(), logits.options());
  // The gradient is laid out as the kernels' rows: (N * d1 * ..., C).
  const c10::SymInt classes = logits.sym_size(logits.dim() == 1 ? 0 : 1);
  at::Tensor grad = compute_grad
                        ? at::empty_symint({target.sym_numel(), classes}, logits.options())
                        : at::Tensor();
  return std::make_tuple(loss, grad, at::empty({}, logits.options().dtype(at::kDouble)));
}

} // namespace
} // namespace meta
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("_softmax_focal_loss_forward", &rebalance::meta::softmax_focal_loss_forward_meta);
}
