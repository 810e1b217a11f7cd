#include "tabular/report.h"

#include <rebalance/ops/confusion_matrix.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tabular {
namespace {

std::vector<double> values(const torch::Tensor& t) {
  const auto d = t.to(torch::kDouble).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

// "[a, b], [c, d]" of a C × C matrix (empty for an undefined one).
std::string confusion_rows(const torch::Tensor& m) {
  if (!m.defined()) return "";
  const auto rows = m.to(torch::kLong).contiguous();
  std::string out;
  for (int64_t i = 0; i < rows.size(0); ++i) {
    const int64_t* r = rows[i].data_ptr<int64_t>();
    out += fmt::format("{}[{}]", i ? ", " : "", fmt::join(r, r + rows.size(1), ", "));
  }
  return out;
}

} // namespace

rebalance::ClassReport test_report(const TrainResult& result, const torch::Tensor& test_y,
                                   int64_t num_classes) {
  return rebalance::class_report(
      rebalance::confusion_matrix(result.test_logits, test_y, num_classes));
}

std::string run_json(const std::string& strategy, int64_t repeat, int64_t fold,
                     const rebalance::ClassReport& report, const TrainResult& result) {
  return fmt::format(
      "{{\"strategy\": \"{}\", \"repeat\": {}, \"fold\": {}, \"macro_f1\": {:.6f}, "
      "\"balanced_accuracy\": {:.6f}, \"g_mean\": {:.6f}, \"accuracy\": {:.6f}, "
      "\"worst_recall\": {:.6f}, \"precision\": [{:.6f}], \"recall\": [{:.6f}], "
      "\"f1\": [{:.6f}], \"support\": [{}], \"resample_seconds\": {:.4f}, \"seconds\": {:.3f}, "
      "\"resampled_rows\": {}, \"best_round\": {}, \"val_macro_f1\": {:.6f}, "
      "\"val_confusion\": [{}]}}",
      strategy, repeat, fold, report.macro_f1, report.balanced_accuracy, report.geometric_mean,
      report.accuracy, report.recall.min().item<double>(),
      fmt::join(values(report.precision), ", "), fmt::join(values(report.recall), ", "),
      fmt::join(values(report.f1), ", "), fmt::join(values(report.support), ", "),
      result.resample_seconds, result.seconds, result.resampled_rows, result.best_round,
      result.best_val_macro_f1(), confusion_rows(result.val_confusion));
}

} // namespace tabular
