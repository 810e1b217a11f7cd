#include "rebalance/schedule/presets.h"

#include <c10/util/Exception.h>

#include <algorithm>

namespace rebalance {
namespace schedule {

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"undersample_then_finetune", "drw", "drs",
                                                 "crt", "dynamic", "recommended",
                                                 "standard"};
  return names;
}

std::vector<PhaseOptions> preset(const std::string& name, int64_t total_epochs,
                                 double sampling_ratio) {
  const auto& names = preset_names();
  TORCH_CHECK_VALUE(std::find(names.begin(), names.end(), name) != names.end(),
                    "PhaseScheduler: unknown preset '", name,
                    "'; expected undersample_then_finetune, drw, drs, crt, dynamic, recommended or "
                    "standard");
  TORCH_CHECK_VALUE(sampling_ratio >= 1, "PhaseScheduler: sampling_ratio must be >= 1, got ",
                    sampling_ratio);
  if (name == "standard") {
    TORCH_CHECK_VALUE(total_epochs >= 1, "PhaseScheduler: standard needs total_epochs >= 1, got ",
                      total_epochs);
    return {PhaseOptions().name("standard").epochs(total_epochs)};
  }
  TORCH_CHECK_VALUE(total_epochs >= 2, "PhaseScheduler: preset ", name,
                    " needs total_epochs >= 2, got ", total_epochs);
  const int64_t late = std::max<int64_t>(1, total_epochs / 4);
  const int64_t early = total_epochs - late;
  if (name == "undersample_then_finetune") {
    return {PhaseOptions().name("undersample").sampling("undersample")
                .sampling_ratio(sampling_ratio).epochs(early),
            PhaseOptions().name("finetune").lr_factor(0.1).epochs(late)};
  }
  const PhaseOptions warmup = PhaseOptions().name("instance").epochs(early);
  if (name == "drw") {
    return {warmup, PhaseOptions().name("reweight").weighting("effective_number")
                        .lr_factor(0.1).epochs(late)};
  }
  if (name == "drs") {
    return {warmup, PhaseOptions().name("resample").sampling("class_balanced")
                        .lr_factor(0.1).epochs(late)};
  }
  if (name == "crt") {
    return {warmup, PhaseOptions().name("retrain_head").sampling("class_balanced")
                        .head_only(true).lr_factor(0.1).epochs(late)};
  }
  if (name == "recommended") {
    return {warmup, PhaseOptions().name("rebalance").sampling("power")
                        .weighting("effective_number").lr_factor(0.1).epochs(late)};
  }
  // dynamic: drs's shape, with the controller (Strategy::sampler) in place of the fixed
  // class-balanced draws of the LR x 0.1 phase.
  return {warmup, PhaseOptions().name("dynamic").sampling("dynamic").lr_factor(0.1).epochs(late)};
}

} // namespace schedule
} // namespace rebalance
