#pragma once

// The one table of training strategies (the Fashion-MNIST-LT comparison's rows): the C++ example
// and the Python recipe both read it (torch.classes.rebalance.PhaseScheduler.strategy).
#include "rebalance/schedule/phase_options.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rebalance {
namespace schedule {

/// A training strategy: a PhaseScheduler schedule and the loss it trains with.
struct Strategy {
  /// Phases over the nominal number of epochs (to_step_budget turns them into step budgets).
  std::vector<PhaseOptions> phases;
  /// Focal gamma of the softmax focal loss; 0 trains with torch's cross-entropy.
  double gamma = 0;
};

/// The strategy names, in the order --help lists them.
const std::vector<std::string>& strategy_names();

/// The schedule of a named strategy over `epochs` nominal epochs: a single phase (ce,
/// weighted_ce, focal, cb_focal, balanced_sampling, sqrt_sampling, adaptive_sampling,
/// dynamic_weights) or a preset (presets.h; undersample_then_finetune caps at 3x the smallest
/// class, recommended trains with focal gamma 1). ValueError for an unknown name.
Strategy make_strategy(const std::string& name, int64_t epochs);

/// Rewrites phases given in epochs as budgets of optimizer steps in the same proportions, so
/// every strategy trains for exactly `total_steps` steps (an under-sampled epoch is small).
void to_step_budget(std::vector<PhaseOptions>& phases, int64_t total_steps);

} // namespace schedule
} // namespace rebalance
