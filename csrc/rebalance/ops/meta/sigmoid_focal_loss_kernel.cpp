// Meta (fake) kernel of rebalance::_sigmoid_focal_loss_forward: output metadata only, in
// symbolic sizes, for torch.compile, torch.export and FakeTensor. The backend kernels run the
// full argument checks when the traced program runs.
#include "rebalance/ops/reduction.h"
#include "rebalance/ops/sigmoid_focal_loss.h"

#include <torch/library.h>

namespace rebalance {
namespace meta {
namespace {

std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward_meta(
    const at::Tensor& logits, const at::Tensor& targets, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    bool compute_grad) {
  constexpr const char* op = "sigmoid_focal_loss";
  TORCH_CHECK_TYPE(at::isFloatingType(logits.scalar_type()), op,
                   ": logits must be a floating-point tensor, got ", logits.scalar_type());
  TORCH_CHECK_VALUE(logits.sym_sizes().equals(targets.sym_sizes()), op,
                    ": targets must have the shape of logits ", logits.sym_sizes(), ", got ",
                    targets.sym_sizes());
  const bool reduced = parse_reduction(op, reduction) != Reduction::None;
  at::Tensor loss = reduced ? at::empty({}, logits.options())
                            : at::empty_symint(logits.sym_sizes(), logits.options());
  at::Tensor grad =
      compute_grad ? at::empty_symint(logits.sym_sizes(), logits.options()) : at::Tensor();
  return std::make_tuple(loss, grad, at::empty({}, logits.options().dtype(at::kDouble)));
}

} // namespace
} // namespace meta
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("_sigmoid_focal_loss_forward", &rebalance::meta::sigmoid_focal_loss_forward_meta);
}
