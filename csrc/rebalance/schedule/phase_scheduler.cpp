#include "rebalance/schedule/phase_scheduler.h"

#include "rebalance/sampling/sampling_policy_options.h"
#include "rebalance/schedule/presets.h"
#include "rebalance/weighting/class_weights.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace rebalance {

PhaseScheduler::PhaseScheduler(std::vector<schedule::PhaseOptions> phases, double recall_alarm)
    : phases_(std::move(phases)), recall_alarm_(recall_alarm) {
  TORCH_CHECK_VALUE(!phases_.empty(), "PhaseScheduler: needs at least one phase");
  TORCH_CHECK_VALUE(recall_alarm_ > 0 && recall_alarm_ <= 1,
                    "PhaseScheduler: recall_alarm must be in (0, 1], got ", recall_alarm_);
  for (const auto& p : phases_) {
    TORCH_CHECK_VALUE(p.epochs() >= 0 && p.steps() >= 0 && p.patience() >= 0,
                      "PhaseScheduler: phase '", p.name(),
                      "' needs epochs, steps and patience >= 0");
    TORCH_CHECK_VALUE(std::isfinite(p.lr_factor()) && p.lr_factor() > 0,
                      "PhaseScheduler: phase '", p.name(), "' needs lr_factor > 0, got ",
                      p.lr_factor());
    TORCH_CHECK_VALUE(p.sampling_ratio() >= 1, "PhaseScheduler: phase '", p.name(),
                      "' needs sampling_ratio >= 1, got ", p.sampling_ratio());
    try {
      sampling::parse_policy_kind(p.sampling());
    } catch (const c10::Error& e) {
      TORCH_CHECK_VALUE(false, "PhaseScheduler: phase '", p.name(), "': ",
                        e.what_without_backtrace());
    }
    const auto& methods = class_weight_methods();
    TORCH_CHECK_VALUE(p.weighting() == "none" || p.weighting() == "dynamic" ||
                          std::find(methods.begin(), methods.end(), p.weighting()) !=
                              methods.end(),
                      "PhaseScheduler: phase '", p.name(), "' has weighting '", p.weighting(),
                      "'; expected none, dynamic or a class_weights method (",
                      fmt::format("{}", fmt::join(methods, ", ")), ")");
  }
}

c10::intrusive_ptr<PhaseScheduler> PhaseScheduler::preset(const std::string& name,
                                                          int64_t total_epochs,
                                                          double sampling_ratio) {
  return c10::make_intrusive<PhaseScheduler>(
      schedule::preset(name, total_epochs, sampling_ratio));
}

bool PhaseScheduler::on_step() {
  ++step_;
  ++steps_in_phase_;
  return phase().steps() > 0 && steps_in_phase_ >= phase().steps();
}

EpochOutcome PhaseScheduler::end_epoch(const at::Tensor& recall_in, double macro_f1) {
  TORCH_CHECK_VALUE(std::isfinite(macro_f1) && macro_f1 >= 0 && macro_f1 <= 1,
                    "PhaseScheduler.end_epoch: macro_f1 must be in [0, 1], got ", macro_f1);
  const at::Tensor recall = recall_in.detach().to(at::kCPU, at::kDouble).flatten();
  TORCH_CHECK_VALUE(recall.numel() > 0 && recall.isfinite().all().item<bool>() &&
                        recall.ge(0).all().item<bool>() && recall.le(1).all().item<bool>(),
                    "PhaseScheduler.end_epoch: recall must be a non-empty tensor of values in "
                    "[0, 1], got ", recall_in.sizes());
  if (best_recall_.defined() && best_recall_.numel() > 0) {
    TORCH_CHECK_VALUE(recall.numel() == best_recall_.numel(), "PhaseScheduler.end_epoch: recall ",
                      "must have ", best_recall_.numel(), " classes, got ", recall.numel());
  }
  EpochOutcome outcome;
  ++epoch_;
  ++epochs_in_phase_;
  if (macro_f1 > best_macro_f1_) {
    best_macro_f1_ = macro_f1;
    best_epoch_ = epoch_;
    outcome.is_best = true;
  }
  if (!best_recall_.defined() || best_recall_.numel() == 0) {
    best_recall_ = recall.clone();
  } else {
    const auto dropped = (best_recall_ - recall).gt(recall_alarm_).nonzero().flatten();
    for (int64_t i = 0; i < dropped.numel(); ++i) {
      outcome.recall_alarms.push_back(dropped[i].item<int64_t>());
    }
    best_recall_ = at::maximum(best_recall_, recall);
  }
  for (int64_t c : outcome.recall_alarms) {
    TORCH_WARN("PhaseScheduler: epoch ", epoch_, ": class ", c, " validation recall ",
               recall[c].item<double>(), " is more than ", recall_alarm_, " below its best ",
               best_recall_[c].item<double>());
  }
  if (macro_f1 > phase_best_macro_f1_ + phase().min_delta()) {
    phase_best_macro_f1_ = macro_f1;
    epochs_since_improvement_ = 0;
  } else {
    ++epochs_since_improvement_;
  }
  const auto& p = phase();
  const bool done = (p.epochs() > 0 && epochs_in_phase_ >= p.epochs()) ||
                    (p.steps() > 0 && steps_in_phase_ >= p.steps()) ||
                    (p.patience() > 0 && epochs_since_improvement_ >= p.patience());
  if (done && !finished_) {
    advance_phase();
    outcome.phase_changed = true;
  }
  outcome.finished = finished_;
  return outcome;
}

void PhaseScheduler::advance_phase() {
  if (phase_index_ + 1 >= static_cast<int64_t>(phases_.size())) {
    finished_ = true;
    return;
  }
  ++phase_index_;
  epochs_in_phase_ = 0;
  steps_in_phase_ = 0;
  epochs_since_improvement_ = 0;
  phase_best_macro_f1_ = -1;
}

std::string PhaseScheduler::describe() const {
  return fmt::format("phase {}/{} '{}' (sampling {}, weighting {}, lr x{}{}), epoch {} of phase, "
                     "step {}; best macro-F1 {:.4f} at epoch {}{}",
                     phase_index_ + 1, phases_.size(), phase().name(), phase().sampling(),
                     phase().weighting(), phase().lr_factor(),
                     phase().head_only() ? ", head only" : "", epochs_in_phase_, step_,
                     std::max(best_macro_f1_, 0.0), best_epoch_, finished_ ? "; finished" : "");
}

PhaseScheduler::SerializedState PhaseScheduler::serialize() const {
  std::vector<std::string> phases;
  for (const auto& p : phases_) phases.push_back(p.to_string());
  const at::Tensor counters = at::tensor(
      std::vector<int64_t>{phase_index_, epoch_, step_, epochs_in_phase_, steps_in_phase_,
                           best_epoch_, epochs_since_improvement_, finished_ ? 1 : 0},
      at::kLong);
  const at::Tensor values = at::tensor(
      std::vector<double>{recall_alarm_, best_macro_f1_, phase_best_macro_f1_}, at::kDouble);
  const at::Tensor recall =
      best_recall_.defined() ? best_recall_.clone() : at::empty({0}, at::kDouble);
  return std::make_tuple(phases, counters, values, recall);
}

c10::intrusive_ptr<PhaseScheduler> PhaseScheduler::from_serialized(const SerializedState& state) {
  const auto& [phase_strings, counters_in, values_in, recall] = state;
  std::vector<schedule::PhaseOptions> phases;
  for (const auto& s : phase_strings) phases.push_back(schedule::PhaseOptions::from_string(s));
  const at::Tensor counters = counters_in.to(at::kLong).contiguous();
  const at::Tensor values = values_in.to(at::kDouble).contiguous();
  TORCH_CHECK_VALUE(counters.numel() == 8 && values.numel() == 3,
                    "PhaseScheduler: malformed saved state");
  auto s = c10::make_intrusive<PhaseScheduler>(std::move(phases), values[0].item<double>());
  const int64_t* c = counters.data_ptr<int64_t>();
  TORCH_CHECK_VALUE(c[0] >= 0 && c[0] < static_cast<int64_t>(s->phases_.size()),
                    "PhaseScheduler: saved phase index ", c[0], " out of range");
  s->phase_index_ = c[0];
  s->epoch_ = c[1];
  s->step_ = c[2];
  s->epochs_in_phase_ = c[3];
  s->steps_in_phase_ = c[4];
  s->best_epoch_ = c[5];
  s->epochs_since_improvement_ = c[6];
  s->finished_ = c[7] != 0;
  s->best_macro_f1_ = values[1].item<double>();
  s->phase_best_macro_f1_ = values[2].item<double>();
  s->best_recall_ = recall.to(at::kDouble).clone();
  return s;
}

} // namespace rebalance
