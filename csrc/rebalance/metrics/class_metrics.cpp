#include "rebalance/metrics/class_metrics.h"

#include "rebalance/ops/confusion_matrix.h"

namespace rebalance {

ClassMetrics::ClassMetrics(int64_t num_classes, int64_t ignore_index)
    : num_classes_(num_classes), ignore_index_(ignore_index) {
  TORCH_CHECK_VALUE(num_classes >= 1, "ClassMetrics: num_classes must be >= 1, got ",
                    num_classes);
  state_ = at::zeros({num_classes, num_classes}, at::kLong);
  previous_f1_ = at::empty({0}, at::kDouble);
}

void ClassMetrics::update(const at::Tensor& input, const at::Tensor& target) {
  const at::Tensor counts = confusion_matrix(input.detach(), target, num_classes_, ignore_index_);
  // The state follows the inputs' device (one copy when it changes, none per batch), so a
  // CUDA state can be all-reduced over NCCL and updates never wait for the device.
  if (state_.device() != counts.device()) state_ = state_.to(counts.device());
  state_.add_(counts);
}

void ClassMetrics::reset() {
  if (state_.sum().item<int64_t>() > 0) previous_f1_ = class_report(state_).f1;
  state_.zero_();
}

ClassReport ClassMetrics::report() const { return class_report(state_, previous_f1_); }

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
                    ": counts must be non-negative");
  return counts.to(state_.device());
}

void ClassMetrics::set_state(const at::Tensor& confusion) {
  state_.copy_(checked_counts("set_state", confusion));
}

void ClassMetrics::merge(const ClassMetrics& other) {
  TORCH_CHECK_VALUE(other.num_classes_ == num_classes_, "ClassMetrics.merge: expected ",
                    num_classes_, " classes, got ", other.num_classes_);
  state_.add_(other.state_.to(state_.device()));
}

void ClassMetrics::merge(const at::Tensor& confusion) {
  state_.add_(checked_counts("merge", confusion));
}

ClassMetrics::SerializedState ClassMetrics::serialize() const {
  // Checkpoints hold a CPU state whatever the device, so they load anywhere.
  return SerializedState(num_classes_, ignore_index_, state_.to(at::kCPU).clone(),
                         previous_f1_.clone());
}

c10::intrusive_ptr<ClassMetrics> ClassMetrics::from_serialized(SerializedState s) {
  auto m = c10::make_intrusive<ClassMetrics>(std::get<0>(s), std::get<1>(s));
  m->set_state(std::get<2>(s));
  const at::Tensor& previous = std::get<3>(s);
  TORCH_CHECK_VALUE(previous.numel() == 0 || previous.numel() == m->num_classes_,
                    "ClassMetrics: previous F1 must have 0 or ", m->num_classes_,
                    " entries, got ", previous.numel());
  m->previous_f1_ = previous.to(at::kCPU, at::kDouble).reshape({previous.numel()}).clone();
  return m;
}

} // namespace rebalance
