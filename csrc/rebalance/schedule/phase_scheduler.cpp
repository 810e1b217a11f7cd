#include "rebalance/schedule/phase_scheduler.h"

#include "rebalance/checkpoint.h"
#include "rebalance/sampling/sampling_policy_options.h"
#include "rebalance/schedule/presets.h"
#include "rebalance/warnings.h"
#include "rebalance/weighting/class_weights.h"

#include <c10/util/Exception.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

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
    TORCH_CHECK_VALUE(std::isfinite(p.sampling_ratio()) && std::isfinite(p.min_delta()),
                      "PhaseScheduler: phase '", p.name(),
                      "' needs a finite sampling_ratio and min_delta, got ", p.sampling_ratio(),
                      " and ", p.min_delta());
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

PhaseScheduler::PhaseScheduler(const std::string& preset, int64_t total_epochs,
                               double sampling_ratio)
    : PhaseScheduler(schedule::preset(preset, total_epochs, sampling_ratio)) {}

std::shared_ptr<PhaseScheduler> PhaseScheduler::preset(const std::string& name,
                                                       int64_t total_epochs,
                                                       double sampling_ratio) {
  return std::make_shared<PhaseScheduler>(name, total_epochs, sampling_ratio);
}

PhaseScheduler PhaseScheduler::placeholder() { return PhaseScheduler("standard", 1); }

std::string PhaseScheduler::repr() const {
  std::vector<std::string> phases;
  for (const auto& p : phases_) phases.push_back("PhaseOptions(" + fields::repr(p) + ")");
  return fmt::format("PhaseScheduler(phase {}/{} '{}', epoch {}, step {}, recall_alarm={}, "
                     "phases=[{}])",
                     phase_index_ + 1, phases_.size(), phase().name(), epoch_, step_,
                     fields::Type<double>::repr(recall_alarm_), fmt::join(phases, ", "));
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
    warn(c10::str("PhaseScheduler: epoch ", epoch_, ": class ", c, " validation recall ",
                  recall[c].item<double>(), " is more than ", recall_alarm_, " below its best ",
                  best_recall_[c].item<double>()));
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

void PhaseScheduler::write_fields(torch::serialize::OutputArchive& archive) const {
  std::vector<std::string> phases;
  for (const auto& p : phases_) phases.push_back(p.to_string());
  archive.write("phases", c10::IValue(phases));
  archive.write("counters",
                at::tensor(std::vector<int64_t>{phase_index_, epoch_, step_, epochs_in_phase_,
                                                steps_in_phase_, best_epoch_,
                                                epochs_since_improvement_, finished_ ? 1 : 0},
                           at::kLong));
  archive.write("values",
                at::tensor(std::vector<double>{recall_alarm_, best_macro_f1_,
                                               phase_best_macro_f1_},
                           at::kDouble));
  archive.write("best_recall",
                best_recall_.defined() ? best_recall_.clone() : at::empty({0}, at::kDouble));
}

void PhaseScheduler::read_fields(torch::serialize::InputArchive& archive, int64_t) {
  c10::IValue phase_list;
  at::Tensor counters_in, values_in, recall;
  archive.read("phases", phase_list);
  archive.read("counters", counters_in);
  archive.read("values", values_in);
  archive.read("best_recall", recall);
  std::vector<schedule::PhaseOptions> phases;
  for (const auto& s : phase_list.toListRef()) {
    phases.push_back(schedule::PhaseOptions::from_string(s.toStringRef()));
  }
  TORCH_CHECK_VALUE(counters_in.numel() == 8 && values_in.numel() == 3,
                    "expected 8 counters and 3 values, got ", counters_in.numel(), " and ",
                    values_in.numel());
  const at::Tensor counters = counters_in.to(at::kCPU, at::kLong).contiguous();
  const at::Tensor values = values_in.to(at::kCPU, at::kDouble).contiguous();
  PhaseScheduler s(std::move(phases), values[0].item<double>());
  const int64_t* c = counters.data_ptr<int64_t>();
  for (int i = 0; i < 8; ++i) TORCH_CHECK_VALUE(c[i] >= 0, "counter ", i, " is negative: ", c[i]);
  TORCH_CHECK_VALUE(c[0] < static_cast<int64_t>(s.phases_.size()), "phase index ", c[0],
                    " is not below the ", s.phases_.size(), " phases");
  TORCH_CHECK_VALUE(c[3] <= c[1] && c[4] <= c[2] && c[5] <= c[1] && c[6] <= c[3] && c[7] <= 1,
                    "counters are inconsistent: epoch ", c[1], ", step ", c[2],
                    ", epochs in phase ", c[3], ", steps in phase ", c[4], ", best epoch ", c[5],
                    ", epochs since improvement ", c[6], ", finished ", c[7]);
  const double best = values[1].item<double>(), phase_best = values[2].item<double>();
  const auto is_f1 = [](double f) { return f == -1 || (f >= 0 && f <= 1); };
  TORCH_CHECK_VALUE(is_f1(best) && is_f1(phase_best) && (best == -1) == (c[5] == 0),
                    "best macro-F1 ", best, " and phase best ", phase_best,
                    " must be in [0, 1] (-1 before the first epoch, with best epoch 0)");
  const at::Tensor r = recall.to(at::kCPU, at::kDouble).reshape({-1}).contiguous().clone();
  TORCH_CHECK_VALUE(r.isfinite().all().item<bool>() && r.ge(0).all().item<bool>() &&
                        r.le(1).all().item<bool>(),
                    "best recall values must be in [0, 1]");
  s.phase_index_ = c[0];
  s.epoch_ = c[1];
  s.step_ = c[2];
  s.epochs_in_phase_ = c[3];
  s.steps_in_phase_ = c[4];
  s.best_epoch_ = c[5];
  s.epochs_since_improvement_ = c[6];
  s.finished_ = c[7] != 0;
  s.best_macro_f1_ = best;
  s.phase_best_macro_f1_ = phase_best;
  s.best_recall_ = r;
  *this = std::move(s);  // every check passed: take the whole state at once
}

} // namespace rebalance
