#pragma once

#include "rebalance/checkpoint.h"
#include "rebalance/compat.h"
#include "rebalance/fields.h"
#include "rebalance/metrics/class_report.h"

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <c10/util/string_view.h>
#include <torch/arg.h>

#include <limits>
#include <string>
#include <tuple>

namespace rebalance {

/// The fields of DynamicClassWeightsOptions: X(type, name, default, doc).
#define REBALANCE_DYNAMIC_CLASS_WEIGHTS_FIELDS(X)                                              \
  X(double, power, 1.0, "Exponent applied to the difficulty 1 - score + eps, >= 0.")            \
  X(double, eps, 0.01, "Added to the difficulty so that a perfect class keeps a weight, >= 0.") \
  X(double, momentum, 0.0,                                                                     \
    "Share of the previous weights kept at each update, in [0, 1); 0 = no smoothing.")          \
  X(double, min_weight, 0.0,                                                                   \
    "Lower bound of every weight (of a class with base weight > 0), >= 0.")                    \
  X(double, max_weight, std::numeric_limits<double>::infinity(),                               \
    "Upper bound of every weight, > 0 (may be inf).")                                          \
  X(int64_t, warmup_epochs, 0, "Number of first updates that keep the (normalised) base weights.")

/// Options of DynamicClassWeights (LibTorch style; fields and defaults in the list above).
/// Example: `DynamicClassWeightsOptions().power(2.0).momentum(0.5).warmup_epochs(1)`.
struct DynamicClassWeightsOptions {
  REBALANCE_OPTIONS_FIELDS(REBALANCE_DYNAMIC_CLASS_WEIGHTS_FIELDS)
};

/// Per-class loss weights that follow per-class evaluation at each epoch end (class-wise
/// difficulty-balanced weighting, Sinha et al. 2020); also torch.classes.rebalance.
/// DynamicClassWeights. With base weights b (C,) and per-class scores s in [0, 1]:
///   target_c = b_c (1 - s_c + eps)^power, scaled to sum C      (b during warm-up)
///   w <- momentum w + (1 - momentum) target
///   w <- clip(a w, min_weight, max_weight) with the scale a chosen so that sum w = C
/// Classes with b_c = 0 keep weight 0 and are not clipped; the clipped sum is C over the
/// others. If every target is 0 (all scores 1 with eps 0) the base weights are used.
/// The state is float64; weights() returns it as float32. Persistence: save/load(archive),
/// state_bytes()/load_state_bytes() (Checkpointable).
class DynamicClassWeights : public Checkpointable<DynamicClassWeights> {
 public:
  using Options = DynamicClassWeightsOptions;
  static constexpr const char* kCheckpointName = "DynamicClassWeights";
  /// 2: options by field name; 1: options as float64[6] in field order (still read).
  static constexpr int64_t kStateVersion = 2;

  /// base_weights: (C,) non-negative, finite, not all 0 (e.g. from class_weights, or ones).
  /// Errors (ValueError): bad base weights or options, min/max bounds that cannot sum to C.
  explicit DynamicClassWeights(const at::Tensor& base_weights,
                               DynamicClassWeightsOptions options = {});

  /// Ends an epoch with per-class scores s (C,), higher = better, in [0, 1]; returns weights().
  /// Errors (ValueError): wrong length, NaN, values outside [0, 1].
  at::Tensor update(const at::Tensor& scores);

  /// update() with a column of a ClassReport: "recall" (class-wise accuracy), "f1",
  /// "precision" or "accuracy" (one-vs-rest accuracy).
  at::Tensor update(const ClassReport& report, rebalance::string_view score = "recall");

  /// update() with the scores `score` of a report dict (ClassMetrics' report().to_dict()).
  at::Tensor update_from_report(const c10::Dict<std::string, at::Tensor>& report,
                                rebalance::string_view score = "recall");

  /// Adds a batch's unreduced per-element losses (e.g. softmax_focal_loss(..., "none")) to the
  /// running per-class loss of their targets; elements whose target is ignore_index are skipped.
  /// loss: floating, any shape; target: int64, loss's shape, in [0, C).
  /// Errors: ValueError (shape, NaN/negative loss), TypeError (dtype), IndexError (target).
  void accumulate_loss(const at::Tensor& loss, const at::Tensor& target,
                       int64_t ignore_index = -100);

  /// Per-batch (within-epoch) update from the running loss: update(s) with
  /// s_c = exp(-mean loss_c) (for cross-entropy, the geometric mean of p(true class)); classes
  /// without samples since the last such update get the mean score of the others. Clears the
  /// running loss. Error (ValueError) when no loss was accumulated.
  at::Tensor update_from_running_loss();

  /// Current weights, (C,) float32, summing to C (up to clipping limits).
  at::Tensor weights() const;

  /// Current weights in float64 (the exact state).
  const at::Tensor& weights_double() const { return weights_; }

  /// Normalised base weights (C,) float64.
  const at::Tensor& base_weights() const { return base_; }

  /// Number of update() calls so far.
  int64_t epoch() const { return epoch_; }

  /// Options in use.
  const DynamicClassWeightsOptions& options() const { return options_; }

  /// "DynamicClassWeights(C=..., epoch=..., power=..., ...)".
  std::string repr() const;

 private:
  friend class Checkpointable<DynamicClassWeights>;
  // The state (options, base, weights, epoch, running loss) exactly; load() checks finite base
  // weights and weights summing to C within [min_weight, max_weight], epoch >= 0, ...
  void write_fields(torch::serialize::OutputArchive& archive) const;
  void read_fields(torch::serialize::InputArchive& archive, int64_t version);
  static DynamicClassWeights placeholder();
  at::Tensor project(const at::Tensor& w) const;

  DynamicClassWeightsOptions options_;
  at::Tensor base_;
  at::Tensor weights_;
  int64_t epoch_ = 0;
  at::Tensor loss_sum_;
  at::Tensor loss_count_;
};

/// Column `score` ("recall", "f1", "precision", "accuracy") of a report, float64 (C,), or
/// "recall_lcb": the Wilson lower confidence bound (z = 1) of each class's recall given its
/// support, (r + z²/2n − z √(r(1−r)/n + z²/4n²)) / (1 + z²/n), 0 where n = 0 — a class measured
/// on few validation samples counts as doing worse until more evidence says otherwise — or
/// "log_prediction_ratio": log((predicted_c + ½) / (support_c + ½)), 0 where support_c = 0 —
/// negative for a class predicted less often than it occurs (recall below precision), the
/// signal of a sampler that steers every class toward being predicted as often as it occurs.
at::Tensor report_scores(const ClassReport& report, rebalance::string_view score);

/// The same column of a report dict (ClassReport::to_dict()); ValueError when it is missing.
at::Tensor report_scores(const c10::Dict<std::string, at::Tensor>& report,
                         rebalance::string_view score);

} // namespace rebalance
