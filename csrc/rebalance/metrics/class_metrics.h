#pragma once

#include "rebalance/checkpoint.h"
#include "rebalance/fields.h"
#include "rebalance/metrics/class_report.h"

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <string>

namespace rebalance {

/// The fields of ClassMetricsOptions: X(type, name, default, doc).
#define REBALANCE_CLASS_METRICS_FIELDS(X)                                                   \
  X(int64_t, ignore_index, -100, "Target value that update() skips.")                        \
  X(double, zero_division, 0.0,                                                             \
    "Per-class precision, recall or F1 whose denominator is 0 (sklearn's zero_division), "   \
    "in [0, 1].")

/// Options of ClassMetrics besides num_classes (fields and defaults in the list above).
struct ClassMetricsOptions {
  REBALANCE_OPTIONS_FIELDS(REBALANCE_CLASS_METRICS_FIELDS)
};

/// Accumulates a confusion matrix over the batches of an epoch and reports per-class metrics
/// (also torch.classes.rebalance.ClassMetrics). The whole state is one C × C int64 tensor
/// (rows = true class) on the device of the inputs given to update() (the CPU before the
/// first update), so ranks combine with torch.distributed.all_reduce(metrics.state()) (SUM;
/// NCCL for a CUDA state, gloo for a CPU one) or merge(). Reports are computed on the CPU.
/// Persistence: save/load(archive), state_bytes()/load_state_bytes() (Checkpointable).
class ClassMetrics : public Checkpointable<ClassMetrics> {
 public:
  using Options = ClassMetricsOptions;
  static constexpr const char* kCheckpointName = "ClassMetrics";
  static constexpr int64_t kStateVersion = 1;

  /// num_classes: 1 <= C <= kMaxClasses with a C × C matrix that fits in memory.
  ClassMetrics(int64_t num_classes, ClassMetricsOptions options);

  /// ClassMetrics(num_classes, ClassMetricsOptions().ignore_index(ignore_index)).
  explicit ClassMetrics(int64_t num_classes, int64_t ignore_index = -100);

  /// Adds a batch: input is logits (N, C, d1, ...) or int64 predictions with target's shape;
  /// target int64 (N, d1, ...) (see rebalance::confusion_matrix). The counts stay on the
  /// inputs' device: the state moves there (one copy) when it is elsewhere, then no copy.
  void update(const at::Tensor& input, const at::Tensor& target);

  /// Starts a new epoch: zeroes the state in place (tensors returned by state() stay valid).
  /// When the state holds samples, their F1 becomes the reference of the next report's
  /// "f1 change".
  void reset();

  /// Per-class report of the current state; f1_change is relative to the epoch before the last
  /// reset() that cleared samples.
  ClassReport report() const;

  /// report().table().
  std::string table() const;

  /// The live C × C int64 state (not a copy) on its current device: in-place all_reduce on it
  /// updates this object (until an update() from another device moves it).
  const at::Tensor& state() const { return state_; }

  /// Replaces the state with a copy of confusion (C × C, non-negative integer counts totalling
  /// less than 2^62).
  void set_state(const at::Tensor& confusion);

  /// Adds another object's counts (same num_classes; copied to this state's device; the total
  /// stays below 2^62).
  void merge(const ClassMetrics& other);

  /// Adds a C × C count matrix (e.g. a state received from another rank).
  void merge(const at::Tensor& confusion);

  /// Number of classes C.
  int64_t num_classes() const { return num_classes_; }

  /// Target value that update() skips.
  int64_t ignore_index() const { return options_.ignore_index(); }

  /// The options given at construction.
  const ClassMetricsOptions& options() const { return options_; }

  /// F1 of the previous epoch (size C, float64), or an empty tensor when there is none.
  const at::Tensor& previous_f1() const { return previous_f1_; }

  /// "ClassMetrics(C=..., samples=..., ignore_index=...)".
  std::string repr() const;

 private:
  at::Tensor checked_counts(const char* what, const at::Tensor& confusion) const;
  void check_total(const char* what, const at::Tensor& counts) const;
  friend class Checkpointable<ClassMetrics>;
  // num_classes, the options, the counts (as a CPU tensor, so a checkpoint loads anywhere) and
  // the previous F1 exactly; load() checks counts >= 0 with a total below 2^62 and previous F1
  // in [0, 1].
  void write_fields(torch::serialize::OutputArchive& archive) const;
  void read_fields(torch::serialize::InputArchive& archive, int64_t version);
  static ClassMetrics placeholder();

  int64_t num_classes_;
  ClassMetricsOptions options_;
  at::Tensor state_;
  at::Tensor previous_f1_;
};

} // namespace rebalance
