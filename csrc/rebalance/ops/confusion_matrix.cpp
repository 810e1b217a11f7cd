#include "rebalance/ops/confusion_matrix.h"

#include "rebalance/bounds.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

namespace rebalance {

at::Tensor confusion_matrix(const at::Tensor& input, const at::Tensor& target,
                            int64_t num_classes, int64_t ignore_index) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::confusion_matrix", "")
                       .typed<decltype(confusion_matrix)>();
  return op.call(input, target, num_classes, ignore_index);
}

namespace detail {

bool check_confusion_matrix_args(const at::Tensor& input, const at::Tensor& target,
                                 int64_t num_classes) {
  constexpr const char* op = "confusion_matrix";
  check_num_classes(op, "num_classes", num_classes);
  check_allocation(op, "the num_classes² counts of the matrix",
                   checked_mul(op, "num_classes²", num_classes, num_classes), 8);
  TORCH_CHECK_TYPE(target.scalar_type() == at::kLong, op,
                   ": target must be int64 class indices, got ", target.scalar_type());
  const bool logits = at::isFloatingType(input.scalar_type());
  TORCH_CHECK_TYPE(logits || input.scalar_type() == at::kLong, op,
                   ": input must be floating-point logits or int64 predictions, got ",
                   input.scalar_type());
  TORCH_CHECK_VALUE(input.device() == target.device(), op, ": target must be on ",
                    input.device(), ", got ", target.device());
  if (!logits) {
    TORCH_CHECK_VALUE(input.sizes() == target.sizes(), op,
                      ": int64 predictions must have the shape of target, got predictions ",
                      input.sizes(), " and target ", target.sizes());
    return false;
  }
  const bool unbatched = input.dim() == 1;
  bool shape_ok = unbatched ? target.dim() == 0 : target.dim() == input.dim() - 1;
  if (shape_ok && !unbatched) {
    shape_ok = input.dim() >= 2 && target.size(0) == input.size(0);
    for (int64_t d = 2; d < input.dim() && shape_ok; ++d) {
      shape_ok = target.size(d - 1) == input.size(d);
    }
  }
  TORCH_CHECK_VALUE(shape_ok, op,
                    ": target must have shape (N, d1, ...) for logits (N, C, d1, ...) (or () for "
                    "logits (C)); got logits ",
                    input.sizes(), " and target ", target.sizes());
  const int64_t classes = input.size(unbatched ? 0 : 1);
  TORCH_CHECK_VALUE(classes == num_classes, op, ": logits have ", classes,
                    " classes in dim ", unbatched ? 0 : 1, ", expected num_classes = ",
                    num_classes);
  return true;
}

} // namespace detail
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("confusion_matrix(Tensor input, Tensor target, int num_classes, "
        "int ignore_index=-100) -> Tensor");
}
