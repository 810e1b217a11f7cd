#include "tabular/strategy.h"

#include "tabular/resample.h"

#include <rebalance/schedule/presets.h>
#include <rebalance/schedule/strategies.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace tabular {
namespace {

using rebalance::schedule::PhaseOptions;

// Single-phase strategies: phase fields and focal gamma.
const std::map<std::string, std::pair<PhaseOptions, double>>& single_phase() {
  static const std::map<std::string, std::pair<PhaseOptions, double>> table = {
      {"ce", {PhaseOptions(), 0}},
      {"focal", {PhaseOptions(), 2}},
      {"weighted_ce", {PhaseOptions().weighting("inverse"), 0}},
      {"cb_focal", {PhaseOptions().weighting("effective_number"), 1}},
      {"cost_ce", {PhaseOptions().weighting("cost"), 0}},
      {"cluster_ce", {PhaseOptions().weighting("cluster"), 0}},
      {"balanced_sampling", {PhaseOptions().sampling("class_balanced"), 0}},
      {"sqrt_sampling", {PhaseOptions().sampling("power"), 0}},
      {"adaptive_sampling", {PhaseOptions().sampling("dynamic"), 0}},
      {"dynamic_weights", {PhaseOptions().weighting("dynamic"), 0}},
  };
  return table;
}

// Undersample-then-fine-tune where the first phase trains on one data-level under-sampling of
// the fold instead of fresh random subsets.
const std::map<std::string, std::string>& finetune_after() {
  static const std::map<std::string, std::string> table = {
      {"cluster_centroids_then_finetune", "cluster_centroids"},
      {"tomek_then_finetune", "tomek"}};
  return table;
}

} // namespace

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = {
      "ce", "focal", "weighted_ce", "cb_focal", "cost_ce", "cluster_ce", "balanced_sampling",
      "sqrt_sampling", "adaptive_sampling", "dynamic_weights", "random_under", "random_over",
      "tomek", "enn", "nearmiss", "cluster_centroids", "smote", "adasyn", "smote_tomek",
      "undersample_then_finetune", "cluster_centroids_then_finetune", "tomek_then_finetune",
      "drw", "drs", "crt", "dynamic", "recommended"};
  return names;
}

Strategy make_strategy(const std::string& name, int64_t rounds) {
  const auto one_phase = [&](const PhaseOptions& phase, double gamma) {
    rebalance::schedule::Strategy s;
    s.phases = {PhaseOptions(phase).name(name).epochs(rounds)};
    s.gamma = gamma;
    return s;
  };
  if (const auto it = single_phase().find(name); it != single_phase().end()) {
    return {"none", -1, one_phase(it->second.first, it->second.second)};
  }
  const auto& resamplers = resampler_names();
  if (std::find(resamplers.begin(), resamplers.end(), name) != resamplers.end()) {
    return {name, -1, one_phase(PhaseOptions(), 0)};
  }
  if (const auto it = finetune_after().find(name); it != finetune_after().end()) {
    rebalance::schedule::Strategy s;
    s.phases = rebalance::schedule::preset("undersample_then_finetune", rounds);
    s.phases.front().name(it->second).sampling("instance");
    return {it->second, 1, s};
  }
  for (const auto& preset : rebalance::schedule::preset_names()) {
    if (preset == name && name != "standard") {  // the image recipe's table row
      return {"none", -1, rebalance::schedule::make_strategy(name, rounds)};
    }
  }
  throw std::invalid_argument("--strategy " + name + ": unknown (see --help for the list)");
}

} // namespace tabular
