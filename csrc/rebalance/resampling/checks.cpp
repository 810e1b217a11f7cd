#include "rebalance/resampling/checks.h"

#include <cmath>

namespace rebalance {
namespace resampling {

void check_features(const char* op, const at::Tensor& x) {
  TORCH_CHECK_VALUE(x.dim() == 2, op, ": features must be a 2-D tensor (n × d), got ", x.dim(),
                    "-D with shape ", x.sizes());
  TORCH_CHECK_TYPE(at::isFloatingType(x.scalar_type()), op,
                   ": features must be floating point, got ", x.scalar_type());
  // A NaN or an infinity makes the sum non-finite, so a finite sum (one fast reduction) proves
  // every value finite; only a non-finite sum (possibly an overflow) needs the element test.
  const bool finite = x.numel() == 0 || std::isfinite(x.sum().item<double>()) ||
                      at::isfinite(x).all().item<bool>();
  TORCH_CHECK_VALUE(finite, op, ": features must be finite, got NaN or infinity");
}

at::Tensor check_labels(const char* op, const at::Tensor& x, const at::Tensor& y,
                        int64_t num_classes) {
  TORCH_CHECK_VALUE(y.dim() == 1, op, ": labels must be a 1-D tensor, got shape ", y.sizes());
  TORCH_CHECK_TYPE(!at::isFloatingType(y.scalar_type()) && !at::isComplexType(y.scalar_type()) &&
                       y.scalar_type() != at::kBool,
                   op, ": labels must be an integer tensor, got ", y.scalar_type());
  TORCH_CHECK_VALUE(y.size(0) == x.size(0), op, ": labels must have one entry per row of ",
                    "features (", x.size(0), "), got ", y.size(0));
  auto labels = y.to(at::kCPU, at::kLong).contiguous();
  if (labels.numel() > 0) {
    const auto lo = labels.min().item<int64_t>();
    TORCH_CHECK_INDEX(lo >= 0, op, ": labels must be >= 0, got ", lo);
    if (num_classes > 0) {
      const auto hi = labels.max().item<int64_t>();
      TORCH_CHECK_INDEX(hi < num_classes, op, ": labels must be < num_classes (", num_classes,
                        "), got ", hi);
    }
  }
  return labels;
}

std::vector<int64_t> class_counts(const at::Tensor& y, int64_t num_classes) {
  const auto* p = y.data_ptr<int64_t>();
  int64_t c = num_classes > 0 ? num_classes : 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    c = std::max(c, p[i] + 1);
  }
  std::vector<int64_t> counts(c, 0);
  for (int64_t i = 0; i < y.numel(); ++i) {
    ++counts[p[i]];
  }
  return counts;
}

std::vector<std::vector<int64_t>> class_members(const at::Tensor& y, int64_t num_classes) {
  std::vector<std::vector<int64_t>> members(num_classes);
  const auto* p = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    members[p[i]].push_back(i);
  }
  return members;
}

at::Tensor to_tensor(const std::vector<int64_t>& v) {
  auto t = at::empty({static_cast<int64_t>(v.size())}, at::kLong);
  std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
  return t;
}

void check_neighbors(const char* op, const char* what, int64_t k) {
  TORCH_CHECK_VALUE(k >= 1, op, ": ", what, " must be >= 1, got ", k);
}

void check_budget(const char* op, int64_t memory_budget) {
  TORCH_CHECK_VALUE(memory_budget > 0, op, ": memory_budget must be a positive number of bytes, ",
                    "got ", memory_budget);
}

} // namespace resampling
} // namespace rebalance
