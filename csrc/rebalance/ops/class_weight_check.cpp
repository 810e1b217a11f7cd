#include "rebalance/ops/class_weight_check.h"

#include <ATen/Dispatch.h>

#include <cmath>

namespace rebalance {
namespace detail {

void check_class_weight(const char* op, const rebalance::optional<at::Tensor>& class_weight,
                        int64_t num_classes, const at::Tensor& like, bool check_values) {
  if (!class_weight.has_value() || !class_weight->defined()) return;
  const at::Tensor& w = *class_weight;
  TORCH_CHECK_TYPE(at::isFloatingType(w.scalar_type()), op,
                   ": class_weight must be a floating-point tensor, got ", w.scalar_type());
  TORCH_CHECK_VALUE(w.dim() == 1 && w.numel() == num_classes, op,
                    ": class_weight must have shape (", num_classes, ",), got ", w.sizes());
  TORCH_CHECK_VALUE(w.device() == like.device(), op, ": class_weight must be on ", like.device(),
                    ", got ", w.device());
  if (num_classes == 0) return;
  if (w.device().is_cpu()) {  // a short loop: ATen reductions cost ~20 us per call here
    const auto kind = w.scalar_type();
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, kind, "class_weight", [&] {
      const auto* data = w.data_ptr<scalar_t>();
      for (int64_t c = 0; c < num_classes; ++c) {
        const double value = static_cast<double>(data[c * w.stride(0)]);
        TORCH_CHECK_VALUE(std::isfinite(value), op, ": class_weight must be finite, got ",
                          w.detach());
        TORCH_CHECK_VALUE(value >= 0, op,
                          ": class_weight must be non-negative, got minimum ",
                          w.detach().min().item<double>());
      }
    });
    return;
  }
  if (!check_values) return;
  const auto w64 = w.detach().to(at::kDouble);
  TORCH_CHECK_VALUE(w64.isfinite().all().item<bool>(), op,
                    ": class_weight must be finite, got ", w.detach().cpu());
  const double min_weight = w64.min().item<double>();
  TORCH_CHECK_VALUE(min_weight >= 0, op, ": class_weight must be non-negative, got minimum ",
                    min_weight);
}

void check_gamma(const char* op, double gamma) {
  TORCH_CHECK_VALUE(std::isfinite(gamma) && gamma >= 0, op,
                    ": gamma must be finite and >= 0, got ", gamma);
}

} // namespace detail
} // namespace rebalance
