#include "rebalance/resampling/checks.h"

#include <algorithm>
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
    const auto hi = labels.max().item<int64_t>();
    if (num_classes > 0) {
      TORCH_CHECK_INDEX(hi < num_classes, op, ": labels must be < num_classes (", num_classes,
                        "), got ", hi);
    } else {
      TORCH_CHECK_INDEX(hi < kMaxClasses, op, ": labels must be < ", kMaxClasses,
                        " (the most classes rebalance supports), got ", hi);
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

namespace rebalance {
namespace resampling {
namespace {

// max |x| from one min/max pass (no |x| copy).
double max_abs(const at::Tensor& x) {
  if (x.numel() == 0) return 0.0;
  const auto mm = at::aminmax(x.detach());
  return std::max(std::abs(std::get<0>(mm).item<double>()), std::abs(std::get<1>(mm).item<double>()));
}

// Whether squared norms of values up to m over d features stay normal and finite with the
// margins of distance_scale (log2 bounds hi2, lo2 on 4 d M² and M²).
bool in_range(double m, int64_t d, int hi2, int lo2) {
  const double m2 = m * m;
  return m == 0 || (4.0 * static_cast<double>(std::max<int64_t>(d, 1)) * m2 <= std::ldexp(1.0, hi2) &&
                    m2 >= std::ldexp(1.0, lo2));
}

} // namespace

DistanceScale distance_scale(const at::Tensor& a, const at::Tensor& b) {
  const double m = std::max(max_abs(a), b.is_same(a) ? 0.0 : max_abs(b));
  const int64_t d = a.dim() == 2 ? a.size(1) : 1;
  if (a.scalar_type() != at::kDouble && in_range(m, d, 100, -60)) return {at::kFloat, 0};
  if (in_range(m, d, 1000, -960)) return {at::kDouble, 0};
  // Scale so that the largest magnitude lands in [0.5, 1).
  return {at::kDouble, -std::ilogb(m) - 1};
}

at::Tensor apply_scale(const at::Tensor& x, const DistanceScale& s) {
  const auto y = x.to(s.dtype);
  if (s.exponent == 0) return y;
  // Two factors: 2^exponent alone can overflow (subnormal data needs up to 2^1073).
  const int half = s.exponent / 2;
  return y * std::ldexp(1.0, half) * std::ldexp(1.0, s.exponent - half);
}

} // namespace resampling
} // namespace rebalance
