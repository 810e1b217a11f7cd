#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <c10/util/Optional.h>

#include <string>

namespace rebalance {

/// Per-class evaluation of a C × C confusion matrix (rows = true class). Every per-class
/// precision, recall or F1 whose denominator is 0 is `zero_division` (sklearn's parameter;
/// default 0), never NaN; the support shows why.
struct ClassReport {
  /// Per-class float64 tensors, size C: precision tp / predicted, recall tp / support,
  /// F1 2 tp / (support + predicted), and one-vs-rest accuracy (total - fp - fn) / total.
  at::Tensor precision, recall, f1, class_accuracy;
  /// Per-class int64 tensors, size C: true samples (row sums) and predictions (column sums).
  at::Tensor support, predicted;
  /// F1 minus the F1 of the previous epoch (size C, float64); zeros when !has_previous.
  at::Tensor f1_change;
  /// Whether f1_change refers to a previous epoch.
  bool has_previous = false;
  /// Mean F1 over the classes that occur in the targets or the predictions (sklearn's
  /// f1_score(average="macro") with labels=None).
  double macro_f1 = 0;
  /// Mean recall over the classes with support > 0 (sklearn's balanced_accuracy_score).
  double balanced_accuracy = 0;
  /// Geometric mean of the recalls of the classes with support > 0 (0 if any of them is 0).
  double geometric_mean = 0;
  /// trace / total.
  double accuracy = 0;
  /// Number of counted samples.
  int64_t total = 0;

  /// The report as a fmt-formatted table: one line per class (class, support, precision,
  /// recall, F1, change in F1 since the previous epoch) and a summary line.
  std::string table() const;

  /// The report as a dict of tensors (the TorchScript form): per-class "precision", "recall",
  /// "f1", "class_accuracy", "support", "predicted", "f1_change"; 0-dim "macro_f1",
  /// "balanced_accuracy", "geometric_mean", "accuracy" (float64), "total" (int64),
  /// "has_previous" (bool).
  c10::Dict<std::string, at::Tensor> to_dict() const;
};

/// Computes the report of a C × C confusion matrix (any integer or floating dtype, CPU).
/// previous_f1 (size C) is the F1 of the previous epoch, if any; zero_division in [0, 1] is the
/// value of a ratio with denominator 0.
ClassReport class_report(const at::Tensor& confusion,
                         const rebalance::optional<at::Tensor>& previous_f1 = rebalance::nullopt,
                         double zero_division = 0.0);

} // namespace rebalance
