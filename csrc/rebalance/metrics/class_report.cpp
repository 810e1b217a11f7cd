#include "rebalance/metrics/class_report.h"

#include <fmt/format.h>

#include <cmath>

namespace rebalance {

ClassReport class_report(const at::Tensor& confusion,
                         const rebalance::optional<at::Tensor>& previous_f1, double zero_division) {
  TORCH_CHECK_VALUE(zero_division >= 0 && zero_division <= 1,
                    "class_report: zero_division must be in [0, 1], got ", zero_division);
  TORCH_CHECK_VALUE(confusion.dim() == 2 && confusion.size(0) == confusion.size(1) &&
                        confusion.size(0) >= 1,
                    "class_report: confusion must be a C × C matrix with C >= 1, got shape ",
                    confusion.sizes());
  const int64_t C = confusion.size(0);
  const at::Tensor cm = confusion.detach().to(at::kCPU, at::kDouble);
  TORCH_CHECK_VALUE(cm.ge(0).all().item<bool>(),
                    "class_report: confusion must hold non-negative counts");
  const at::Tensor tp = cm.diagonal();
  const at::Tensor support = cm.sum(1), predicted = cm.sum(0);
  const double total = cm.sum().item<double>();

  ClassReport r;
  const auto ratio = [&](const at::Tensor& numerator, const at::Tensor& denominator) {
    return at::where(denominator > 0, numerator / denominator.clamp_min(1),
                     at::full_like(numerator, zero_division));
  };
  r.precision = ratio(tp, predicted);
  r.recall = ratio(tp, support);
  r.f1 = ratio(2 * tp, support + predicted);
  r.class_accuracy = (total - (support - tp) - (predicted - tp)) / std::max(total, 1.0);
  r.support = support.to(at::kLong);
  r.predicted = predicted.to(at::kLong);
  r.total = static_cast<int64_t>(total);
  r.accuracy = total > 0 ? tp.sum().item<double>() / total : 0.0;

  const at::Tensor present = (support + predicted) > 0;
  if (present.any().item<bool>()) r.macro_f1 = r.f1.masked_select(present).mean().item<double>();
  const at::Tensor supported = support > 0;
  if (supported.any().item<bool>()) {
    const at::Tensor recall = r.recall.masked_select(supported);
    r.balanced_accuracy = recall.mean().item<double>();
    r.geometric_mean = recall.eq(0).any().item<bool>() ? 0.0 : recall.log().mean().exp().item<double>();
  }

  r.has_previous = previous_f1.has_value() && previous_f1->defined() && previous_f1->numel() > 0;
  if (r.has_previous) {
    TORCH_CHECK_VALUE(previous_f1->numel() == C, "class_report: previous_f1 must have ", C,
                      " entries, got ", previous_f1->numel());
    r.f1_change = r.f1 - previous_f1->detach().to(at::kCPU, at::kDouble).reshape({C});
  } else {
    r.f1_change = at::zeros({C}, at::kDouble);
  }
  return r;
}

std::string ClassReport::table() const {
  const int64_t C = support.numel();
  const auto sup = support.accessor<int64_t, 1>();
  const auto p = precision.accessor<double, 1>(), rc = recall.accessor<double, 1>();
  const auto f = f1.accessor<double, 1>(), df = f1_change.accessor<double, 1>();
  std::string out = fmt::format("{:>6} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "class", "support",
                                "precision", "recall", "f1", "f1 change");
  for (int64_t c = 0; c < C; ++c) {
    const std::string change = has_previous ? fmt::format("{:+9.4f}", df[c]) : fmt::format("{:>9}", "-");
    out += fmt::format("{:>6} {:>10} {:>9.4f} {:>9.4f} {:>9.4f} {}\n", c, sup[c], p[c], rc[c],
                       f[c], change);
  }
  out += fmt::format("total {}  accuracy {:.4f}  macro-F1 {:.4f}  balanced accuracy {:.4f}  "
                     "G-mean {:.4f}\n",
                     total, accuracy, macro_f1, balanced_accuracy, geometric_mean);
  return out;
}

c10::Dict<std::string, at::Tensor> ClassReport::to_dict() const {
  c10::Dict<std::string, at::Tensor> d;
  d.insert("precision", precision);
  d.insert("recall", recall);
  d.insert("f1", f1);
  d.insert("class_accuracy", class_accuracy);
  d.insert("support", support);
  d.insert("predicted", predicted);
  d.insert("f1_change", f1_change);
  d.insert("macro_f1", at::scalar_tensor(macro_f1, at::kDouble));
  d.insert("balanced_accuracy", at::scalar_tensor(balanced_accuracy, at::kDouble));
  d.insert("geometric_mean", at::scalar_tensor(geometric_mean, at::kDouble));
  d.insert("accuracy", at::scalar_tensor(accuracy, at::kDouble));
  d.insert("total", at::scalar_tensor(total, at::kLong));
  d.insert("has_previous", at::scalar_tensor(has_previous, at::kBool));
  return d;
}

} // namespace rebalance
