#pragma once

#include "rebalance/schedule/phase_options.h"

#include "rebalance/checkpoint.h"

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

namespace rebalance {

/// What PhaseScheduler::end_epoch decided.
struct EpochOutcome {
  /// The next epoch starts a new phase (or the schedule finished).
  bool phase_changed = false;
  /// This epoch has the best validation macro-F1 so far: keep the model state.
  bool is_best = false;
  /// The last phase has ended; the loop should stop.
  bool finished = false;
  /// Classes whose validation recall fell more than the alarm threshold below their best.
  std::vector<int64_t> recall_alarms;
};

/// A training schedule of phases (also torch.classes.rebalance.PhaseScheduler and
/// rebalance.PhaseScheduler in Python). The loop calls
/// on_step() after each optimizer step and end_epoch() with the validation report after each
/// epoch; phase() then says which sampling policy, loss weighting, learning-rate factor and
/// head-only setting the next epoch uses. It also tracks the best epoch by validation macro-F1
/// and raises a warning when a class's recall drops more than `recall_alarm` below its best.
/// Persistence: save/load(archive), state_bytes()/load_state_bytes() (Checkpointable).
class PhaseScheduler : public Checkpointable<PhaseScheduler> {
 public:
  static constexpr const char* kCheckpointName = "PhaseScheduler";
  static constexpr int64_t kStateVersion = 1;

  /// phases: at least one. recall_alarm: a drop in a class's validation recall below its best
  /// that raises the alarm, in (0, 1]. Default: 0.2.
  explicit PhaseScheduler(std::vector<schedule::PhaseOptions> phases, double recall_alarm = 0.2);

  /// The named preset `preset` over `total_epochs` epochs (see schedule/presets.h).
  PhaseScheduler(const std::string& preset, int64_t total_epochs, double sampling_ratio = 1.0);

  /// A named preset over `total_epochs` epochs, shared (see schedule/presets.h).
  static std::shared_ptr<PhaseScheduler> preset(const std::string& name, int64_t total_epochs,
                                                double sampling_ratio = 1.0);

  /// The phase the next epoch trains in.
  const schedule::PhaseOptions& phase() const { return phases_.at(phase_index_); }
  /// Index of phase() in phases().
  int64_t phase_index() const { return phase_index_; }
  /// All phases.
  const std::vector<schedule::PhaseOptions>& phases() const { return phases_; }

  /// Counts one optimizer step; returns true when the phase's step budget is used up (the loop
  /// should end the epoch now and call end_epoch).
  bool on_step();

  /// Ends an epoch. recall: validation recall per class (C,); macro_f1: validation macro-F1.
  EpochOutcome end_epoch(const at::Tensor& recall, double macro_f1);

  /// Whether the last phase has ended.
  bool finished() const { return finished_; }
  /// Epochs and optimizer steps so far, in total and in the current phase.
  int64_t epoch() const { return epoch_; }
  int64_t step() const { return step_; }
  int64_t epochs_in_phase() const { return epochs_in_phase_; }
  int64_t steps_in_phase() const { return steps_in_phase_; }
  /// Best validation macro-F1 so far (-1 before the first epoch) and its epoch (1-based).
  double best_macro_f1() const { return best_macro_f1_; }
  int64_t best_epoch() const { return best_epoch_; }
  /// Best validation recall per class so far (empty before the first epoch).
  const at::Tensor& best_recall() const { return best_recall_; }

  /// One line for the epoch report: phase, counters, best epoch.
  std::string describe() const;

  /// "PhaseScheduler(phase 1/2 'instance', epoch 0, phases=[...])".
  std::string repr() const;

 private:
  friend class Checkpointable<PhaseScheduler>;
  // The phases, counters, best values and best recall exactly; load() checks counters >= 0,
  // best_epoch <= epoch, phase index in range, macro-F1 and recall in [0, 1], ...
  void write_fields(torch::serialize::OutputArchive& archive) const;
  void read_fields(torch::serialize::InputArchive& archive, int64_t version);
  static PhaseScheduler placeholder();
  void advance_phase();

  std::vector<schedule::PhaseOptions> phases_;
  double recall_alarm_;
  int64_t phase_index_ = 0;
  int64_t epoch_ = 0, step_ = 0, epochs_in_phase_ = 0, steps_in_phase_ = 0;
  int64_t best_epoch_ = 0, epochs_since_improvement_ = 0;
  double best_macro_f1_ = -1, phase_best_macro_f1_ = -1;
  bool finished_ = false;
  at::Tensor best_recall_;
};

} // namespace rebalance
