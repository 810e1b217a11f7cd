#pragma once

#include <rebalance/schedule/phase_options.h>

#include <string>
#include <vector>

namespace fmnist {

/// A training strategy of the recipe: a PhaseScheduler schedule and the loss it trains with.
struct Strategy {
  /// Phases over the nominal number of epochs (to_step_budget turns them into step budgets).
  std::vector<rebalance::schedule::PhaseOptions> phases;
  /// Focal gamma of the softmax focal loss; 0 trains with torch's cross-entropy.
  double gamma = 0;
};

/// The strategy names, in the order --help lists them.
const std::vector<std::string>& strategy_names();

/// The schedule of a named strategy over `epochs` nominal epochs; throws std::invalid_argument
/// for an unknown name.
Strategy make_strategy(const std::string& name, int64_t epochs);

/// Rewrites phases given in epochs as budgets of optimizer steps in the same proportions, so
/// every strategy trains for exactly `total_steps` steps (an under-sampled epoch is small).
void to_step_budget(std::vector<rebalance::schedule::PhaseOptions>& phases, int64_t total_steps);

} // namespace fmnist
