#pragma once

#include <rebalance/schedule/strategies.h>

#include <string>
#include <vector>

namespace tabular {

/// A strategy of the tabular recipe (the one table both recipes use: examples/tabular_lt.cpp
/// and, through the tabular ops, scripts/train_tabular.py): a data-level method and a schedule.
struct Strategy {
  /// Data-level method applied once to the training fold (see resample.h); "none" for none.
  std::string resampler = "none";
  /// How many leading phases train on the resampled rows (the rest on the original training
  /// fold); -1: all of them.
  int64_t resampled_phases = -1;
  /// The schedule, in the image recipe's terms: phases over the nominal number of rounds
  /// (rebalance::schedule::to_step_budget turns them into steps), the focal gamma (0: torch's
  /// cross-entropy), the sampler's options and the report column its update takes. The
  /// tabular loop trains with the softmax focal loss and the plain argmax, so `loss` stays
  /// "softmax_focal" and `posthoc_tau` 0 in every row of its table.
  rebalance::schedule::Strategy schedule;
};

/// The strategy names, in the order of the README table.
const std::vector<std::string>& strategy_names();

/// The strategy `name` over `rounds` nominal validation rounds (>= 2); throws
/// std::invalid_argument naming --strategy for an unknown name.
Strategy make_strategy(const std::string& name, int64_t rounds);

} // namespace tabular
