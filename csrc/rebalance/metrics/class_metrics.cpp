#include "rebalance/metrics/class_metrics.h"

#include "rebalance/bounds.h"
#include "rebalance/checkpoint.h"
#include "rebalance/errors.h"
#include "rebalance/ops/confusion_matrix.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <fmt/format.h>

namespace rebalance {

namespace {

constexpr const char* kClass = "ClassMetrics";
// Counts whose total stays below 2^62 keep every row, column and report sum in int64.
constexpr double kMaxTotal = 0x1p62;

double total_of(const at::Tensor& counts) { return counts.sum(at::kDouble).item<double>(); }

} // namespace

ClassMetrics::ClassMetrics(int64_t num_classes, int64_t ignore_index)
    : ClassMetrics(num_classes, ClassMetricsOptions().ignore_index(ignore_index)) {}

ClassMetrics::ClassMetrics(int64_t num_classes, ClassMetricsOptions options)
    : num_classes_(num_classes), options_(std::move(options)) {
  check_num_classes(kClass, "num_classes", num_classes);
  TORCH_CHECK_VALUE(options_.zero_division() >= 0 && options_.zero_division() <= 1, kClass,
                    ": zero_division must be in [0, 1], got ", options_.zero_division());
  check_allocation(kClass, "the confusion matrix of num_classes² counts",
                   checked_mul(kClass, "num_classes²", num_classes, num_classes), 8);
  state_ = at::zeros({num_classes, num_classes}, at::kLong);
  previous_f1_ = at::empty({0}, at::kDouble);
}

void ClassMetrics::update(const at::Tensor& input, const at::Tensor& target) {
  const at::Tensor counts = with_errors_named("ClassMetrics.update", "confusion_matrix", [&] {
    return confusion_matrix(input.detach(), target, num_classes_, options_.ignore_index());
  });
  // The state follows the inputs' device (one copy when it changes, none per batch), so a
  // CUDA state can be all-reduced over NCCL and updates never wait for the device.
  if (state_.device() != counts.device()) state_ = state_.to(counts.device());
  state_.add_(counts);
}

void ClassMetrics::reset() {
  if (state_.sum().item<int64_t>() > 0) {
    previous_f1_ = class_report(state_, rebalance::nullopt, options_.zero_division()).f1;
  }
  state_.zero_();
}

ClassReport ClassMetrics::report() const {
  return class_report(state_, previous_f1_, options_.zero_division());
}

std::string ClassMetrics::table() const { return report().table(); }

at::Tensor ClassMetrics::checked_counts(const char* what, const at::Tensor& confusion) const {
  TORCH_CHECK_VALUE(confusion.dim() == 2 && confusion.size(0) == num_classes_ &&
                        confusion.size(1) == num_classes_,
                    "ClassMetrics.", what, ": expected a ", num_classes_, " × ", num_classes_,
                    " matrix, got shape ", confusion.sizes());
  TORCH_CHECK_TYPE(!at::isFloatingType(confusion.scalar_type()) &&
                       !at::isComplexType(confusion.scalar_type()) &&
                       confusion.scalar_type() != at::kBool,
                   "ClassMetrics.", what, ": expected integer counts, got ",
                   confusion.scalar_type());
  const at::Tensor counts = confusion.detach().to(at::kLong);
  TORCH_CHECK_VALUE(counts.ge(0).all().item<bool>(), "ClassMetrics.", what,
                    ": counts must be non-negative, got minimum ", counts.min().item<int64_t>());
  return counts.to(state_.device());
}

void ClassMetrics::check_total(const char* what, const at::Tensor& counts) const {
  const double total = total_of(state_) + total_of(counts);
  TORCH_CHECK_VALUE(total < kMaxTotal, "ClassMetrics.", what, ": the counts would total ", total,
                    ", more than the 2^62 whose sums int64 holds");
}

void ClassMetrics::set_state(const at::Tensor& confusion) {
  const at::Tensor counts = checked_counts("set_state", confusion);
  TORCH_CHECK_VALUE(total_of(counts) < kMaxTotal, "ClassMetrics.set_state: the counts total ",
                    total_of(counts), ", more than the 2^62 whose sums int64 holds");
  state_.copy_(counts);
}

void ClassMetrics::merge(const ClassMetrics& other) {
  TORCH_CHECK_VALUE(other.num_classes_ == num_classes_, "ClassMetrics.merge: expected ",
                    num_classes_, " classes, got ", other.num_classes_);
  check_total("merge", other.state_);
  state_.add_(other.state_.to(state_.device()));
}

void ClassMetrics::merge(const at::Tensor& confusion) {
  const at::Tensor counts = checked_counts("merge_state", confusion);
  check_total("merge_state", counts);
  state_.add_(counts);
}

void ClassMetrics::write_fields(torch::serialize::OutputArchive& archive) const {
  archive.write("num_classes", num_classes_);
  fields::write_fields(archive, options_);
  // Checkpoints hold a CPU state whatever the device, so they load anywhere.
  archive.write("state", state_.to(at::kCPU));
  archive.write("previous_f1", previous_f1_);
}

void ClassMetrics::read_fields(torch::serialize::InputArchive& archive, int64_t) {
  c10::IValue num_classes;
  ClassMetricsOptions options;
  at::Tensor state, previous;
  archive.read("num_classes", num_classes);
  fields::read_fields(archive, options);
  archive.read("state", state);
  archive.read("previous_f1", previous);
  ClassMetrics m(num_classes.toInt(), options);
  m.set_state(state);
  TORCH_CHECK_VALUE(previous.dim() == 1 &&
                        (previous.numel() == 0 || previous.numel() == m.num_classes_),
                    "previous F1 must have 0 or ", m.num_classes_, " entries, got shape ",
                    previous.sizes());
  m.previous_f1_ = previous.to(at::kCPU, at::kDouble).contiguous().clone();
  TORCH_CHECK_VALUE(m.previous_f1_.isfinite().all().item<bool>() &&
                        m.previous_f1_.ge(0).all().item<bool>() &&
                        m.previous_f1_.le(1).all().item<bool>(),
                    "previous F1 values must be in [0, 1]");
  *this = std::move(m);  // every check passed: take the whole state at once
}

ClassMetrics ClassMetrics::placeholder() { return ClassMetrics(1); }

std::string ClassMetrics::repr() const {
  return fmt::format("ClassMetrics(C={}, samples={}, {})", num_classes_,
                     state_.sum().item<int64_t>(), fields::repr(options_));
}

} // namespace rebalance
