#pragma once

#include "rebalance/fields.h"

#include <torch/arg.h>

#include <cstdint>
#include <string>

namespace rebalance {
namespace schedule {

/// The fields of PhaseOptions: X(type, name, default, doc).
#define REBALANCE_PHASE_FIELDS(X)                                                              \
  X(std::string, name, "phase", "Name shown in reports.")                                      \
  X(std::string, sampling, "instance",                                                         \
    "Sampling policy of the epoch plan: instance, class_balanced, power, progressive, "         \
    "undersample, oversample, f1_adaptive or dynamic (see AdaptiveSampler).")                  \
  X(double, sampling_ratio, 1.0,                                                               \
    "undersample: cap each class at this multiple of the smallest class (>= 1).")              \
  X(std::string, weighting, "none",                                                            \
    "Loss weighting: none, a class_weights method (e.g. inverse, effective_number) or "        \
    "dynamic (DynamicClassWeights).")                                                          \
  X(double, lr_factor, 1.0, "Learning rate of the phase as a multiple of the base rate.")      \
  X(bool, head_only, false, "Train only the classifier head (freeze the feature extractor).")  \
  X(int64_t, epochs, 0, "End after this many epochs in the phase; 0 = no limit.")              \
  X(int64_t, steps, 0, "End after this many optimizer steps in the phase; 0 = no limit.")      \
  X(int64_t, patience, 0,                                                                      \
    "End when validation macro-F1 has not improved by min_delta for this many epochs; 0 = off.") \
  X(double, min_delta, 1e-4, "Smallest macro-F1 gain that counts as an improvement for patience.")

/// One phase of a training schedule: what the loop samples and weights with, its learning-rate
/// factor, whether only the classifier head trains, and when the phase ends (the first of its
/// end conditions that is set; a phase with none runs until the loop stops). Fields and
/// defaults: the list above.
struct PhaseOptions {
  REBALANCE_OPTIONS_FIELDS(REBALANCE_PHASE_FIELDS)

 public:
  /// The phase as "key=value;..." of every field (exact: doubles in round-trip form).
  std::string to_string() const;
  /// Parses to_string()'s form (any subset of the keys); unknown keys or bad values throw a
  /// ValueError.
  static PhaseOptions from_string(const std::string& text);
};

} // namespace schedule
} // namespace rebalance
