#include "fmnist/strategy.h"

#include <rebalance/schedule/presets.h>

#include <algorithm>
#include <stdexcept>

namespace fmnist {

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = {
      "ce", "weighted_ce", "focal", "cb_focal", "balanced_sampling", "sqrt_sampling",
      "adaptive_sampling", "dynamic_weights", "undersample_then_finetune", "drw", "drs", "crt",
      "dynamic", "recommended"};
  return names;
}

Strategy make_strategy(const std::string& name, int64_t epochs) {
  using rebalance::schedule::PhaseOptions;
  const auto single = [&](PhaseOptions p, double gamma) {
    return Strategy{{p.name(name).epochs(epochs)}, gamma};
  };
  if (name == "ce") return single(PhaseOptions(), 0);
  if (name == "weighted_ce") return single(PhaseOptions().weighting("inverse"), 0);
  if (name == "focal") return single(PhaseOptions(), 2);
  if (name == "cb_focal") return single(PhaseOptions().weighting("effective_number"), 1);
  if (name == "balanced_sampling") return single(PhaseOptions().sampling("class_balanced"), 0);
  if (name == "sqrt_sampling") return single(PhaseOptions().sampling("power"), 0);
  if (name == "adaptive_sampling") return single(PhaseOptions().sampling("dynamic"), 0);
  if (name == "dynamic_weights") return single(PhaseOptions().weighting("dynamic"), 0);
  const auto& presets = rebalance::schedule::preset_names();
  if (name != "standard" && std::find(presets.begin(), presets.end(), name) != presets.end()) {
    const double ratio = name == "undersample_then_finetune" ? 3 : 1;
    return {rebalance::schedule::preset(name, epochs, ratio), name == "recommended" ? 1.0 : 0.0};
  }
  throw std::invalid_argument("fmnist_lt: unknown --strategy " + name + " (see --help)");
}

void to_step_budget(std::vector<rebalance::schedule::PhaseOptions>& phases, int64_t total_steps) {
  int64_t nominal_epochs = 0;
  for (const auto& p : phases) nominal_epochs += p.epochs();
  int64_t assigned = 0;
  for (size_t i = 0; i < phases.size(); ++i) {
    auto& p = phases[i];
    const int64_t budget = i + 1 == phases.size()
                               ? total_steps - assigned
                               : total_steps * p.epochs() / std::max<int64_t>(nominal_epochs, 1);
    p.steps(std::max<int64_t>(budget, 1)).epochs(0);
    assigned += p.steps();
  }
}

} // namespace fmnist
