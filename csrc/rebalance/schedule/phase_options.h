#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <string>

namespace rebalance {
namespace schedule {

/// One phase of a training schedule: what the loop samples and weights with, its learning-rate
/// factor, whether only the classifier head trains, and when the phase ends (the first of its
/// end conditions that is set; a phase with none runs until the loop stops).
struct PhaseOptions {
  /// Name shown in reports. Default: "phase".
  TORCH_ARG(std::string, name) = "phase";
  /// Sampling policy of the epoch plan: "instance", "class_balanced", "power", "progressive",
  /// "undersample", "oversample", "f1_adaptive" or "dynamic" (see AdaptiveSampler).
  /// Default: "instance".
  TORCH_ARG(std::string, sampling) = "instance";
  /// "undersample": cap each class at this multiple of the smallest class (>= 1), so the
  /// majority data is not all thrown away. Default: 1.0.
  TORCH_ARG(double, sampling_ratio) = 1.0;
  /// Loss weighting: "none", a class_weights method (e.g. "inverse", "effective_number") or
  /// "dynamic" (DynamicClassWeights). Default: "none".
  TORCH_ARG(std::string, weighting) = "none";
  /// Learning rate of the phase as a multiple of the base rate. Default: 1.0.
  TORCH_ARG(double, lr_factor) = 1.0;
  /// Train only the classifier head (freeze the feature extractor). Default: false.
  TORCH_ARG(bool, head_only) = false;
  /// End after this many epochs in the phase; 0 = no limit. Default: 0.
  TORCH_ARG(int64_t, epochs) = 0;
  /// End after this many optimizer steps in the phase; 0 = no limit. Default: 0.
  TORCH_ARG(int64_t, steps) = 0;
  /// End when validation macro-F1 has not improved by min_delta for this many epochs;
  /// 0 = off. Default: 0.
  TORCH_ARG(int64_t, patience) = 0;
  /// Smallest macro-F1 gain that counts as an improvement for patience. Default: 1e-4.
  TORCH_ARG(double, min_delta) = 1e-4;

 public:
  /// The phase as "key=value;..." (exact: doubles are written in round-trip form).
  std::string to_string() const;
  /// Parses to_string()'s form; unknown keys or bad values throw a ValueError.
  static PhaseOptions from_string(const std::string& text);
};

} // namespace schedule
} // namespace rebalance
