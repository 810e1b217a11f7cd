#include "rebalance/sampling/label_index.h"

#include "rebalance/bounds.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

namespace rebalance {
namespace sampling {

LabelIndex::LabelIndex(const at::Tensor& labels, int64_t num_classes) {
  const char* op = "AdaptiveSampler";
  check_num_classes(op, "num_classes", num_classes);
  TORCH_CHECK_VALUE(labels.defined(), op, ": labels must be a tensor, got an undefined one");
  TORCH_CHECK_TYPE(at::isIntegralType(labels.scalar_type(), /*includeBool=*/false), op,
                   ": labels must be an integer tensor, got ", labels.scalar_type());
  TORCH_CHECK_VALUE(labels.dim() == 1, op, ": labels must have shape (N,), got ",
                    labels.sizes());
  TORCH_CHECK_VALUE(labels.numel() > 0, op, ": labels must not be empty");
  const at::Tensor flat = labels.detach().to(at::kCPU).contiguous();
  const int64_t n = flat.numel();
  counts_.assign(num_classes, 0);
  offsets_.assign(num_classes + 1, 0);
  order_.resize(n);
  AT_DISPATCH_INTEGRAL_TYPES(flat.scalar_type(), "AdaptiveSampler_labels", [&] {
    const scalar_t* y = flat.data_ptr<scalar_t>();
    for (int64_t i = 0; i < n; ++i) {
      const auto label = static_cast<int64_t>(y[i]);
      TORCH_CHECK_INDEX(label >= 0 && label < num_classes, op, ": labels must be in [0, ",
                        num_classes, "), got ", label, " at position ", i);
      ++counts_[label];
    }
    for (int64_t c = 0; c < num_classes; ++c) offsets_[c + 1] = offsets_[c] + counts_[c];
    std::vector<int64_t> cursor(offsets_.begin(), offsets_.end() - 1);
    for (int64_t i = 0; i < n; ++i) order_[cursor[static_cast<int64_t>(y[i])]++] = i;
  });
}

at::Tensor LabelIndex::labels() const {
  at::Tensor out = at::empty({size()}, at::kLong);
  int64_t* y = out.data_ptr<int64_t>();
  for (int64_t c = 0; c < num_classes(); ++c) {
    for (int64_t k = offsets_[c]; k < offsets_[c + 1]; ++k) y[order_[k]] = c;
  }
  return out;
}

} // namespace sampling
} // namespace rebalance
