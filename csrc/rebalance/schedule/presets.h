#pragma once

#include "rebalance/schedule/phase_options.h"

#include <string>
#include <vector>

namespace rebalance {
namespace schedule {

/// The preset names: "undersample_then_finetune", "drw", "drs", "crt", "dynamic", "recommended",
/// "standard".
const std::vector<std::string>& preset_names();

/// Phases of a preset over total_epochs (>= 2; "standard" >= 1):
/// - undersample_then_finetune: 3/4 of the epochs on fresh under-sampled subsets each epoch
///   (each class capped at sampling_ratio × the smallest), then fine-tuning on the original
///   distribution at lr_factor 0.1.
/// - drw (deferred re-weighting, Cao et al. 2019): instance sampling, then effective-number
///   class weights for the last 1/4 with lr_factor 0.1.
/// - drs (deferred re-sampling): instance sampling, then class-balanced sampling for the last
///   1/4 with lr_factor 0.1.
/// - crt (classifier re-training, Kang et al. 2020): instance sampling, then the head alone
///   on class-balanced sampling for the last 1/4 with lr_factor 0.1.
/// - dynamic: instance sampling for the first 1/4, then per-epoch adaptive ("dynamic")
///   sampling for 1/2 and, at LR x 0.1, for the last 1/4 (make_strategy("dynamic") sets the
///   controller: strategies.h).
/// - recommended: instance sampling, then square-root ("power") sampling with effective-number
///   class weights for the last 1/4 with lr_factor 0.1 (with a gamma-1 focal loss this is the
///   best all-round recipe of the Fashion-MNIST-LT comparison in the README).
/// - standard: one instance-sampling phase.
std::vector<PhaseOptions> preset(const std::string& name, int64_t total_epochs,
                                 double sampling_ratio = 1.0);

} // namespace schedule
} // namespace rebalance
