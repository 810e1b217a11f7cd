// Meta (fake) kernel of rebalance::confusion_matrix: a num_classes × num_classes int64 matrix on
// the input's device, for torch.compile, torch.export and FakeTensor. The backend kernels run
// the full argument checks when the traced program runs.
#include "rebalance/ops/confusion_matrix.h"

#include <torch/library.h>

namespace rebalance {
namespace meta {
namespace {

at::Tensor confusion_matrix_meta(const at::Tensor& input, const at::Tensor& target,
                                 int64_t num_classes, int64_t ignore_index) {
  constexpr const char* op = "confusion_matrix";
  TORCH_CHECK_VALUE(num_classes >= 1, op, ": num_classes must be >= 1, got ", num_classes);
  TORCH_CHECK_TYPE(target.scalar_type() == at::kLong, op,
                   ": target must be int64 class indices, got ", target.scalar_type());
  TORCH_CHECK_TYPE(at::isFloatingType(input.scalar_type()) || input.scalar_type() == at::kLong,
                   op, ": input must be floating-point logits or int64 predictions, got ",
                   input.scalar_type());
  return at::empty({num_classes, num_classes}, input.options().dtype(at::kLong));
}

} // namespace
} // namespace meta
} // namespace rebalance

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("confusion_matrix", &rebalance::meta::confusion_matrix_meta);
}
