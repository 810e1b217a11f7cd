#pragma once

#include <rebalance/sampling/sampling_policy_options.h>
#include <rebalance/schedule/phase_options.h>

#include <string>
#include <vector>

namespace tabular {

/// A strategy of the tabular recipe (the one table both recipes use: examples/tabular_lt.cpp
/// and, through the tabular ops, scripts/train_tabular.py).
struct Strategy {
  /// Data-level method applied once to the training fold (see resample.h); "none" for none.
  std::string resampler = "none";
  /// How many leading phases train on the resampled rows (the rest on the original training
  /// fold); -1: all of them.
  int64_t resampled_phases = -1;
  /// Phases over the nominal number of rounds (rebalance::schedule::to_step_budget turns them
  /// into steps).
  std::vector<rebalance::schedule::PhaseOptions> phases;
  /// Focal gamma of the softmax focal loss; 0 trains with torch's cross-entropy.
  double gamma = 0;
  /// The sampler's options and the report column its update takes (the presets':
  /// rebalance::schedule::Strategy::sampler and sampler_score).
  rebalance::sampling::SamplingPolicyOptions sampler = {};
  std::string sampler_score = "f1";
};

/// The strategy names, in the order of the README table.
const std::vector<std::string>& strategy_names();

/// The strategy `name` over `rounds` nominal validation rounds (>= 2); throws
/// std::invalid_argument naming --strategy for an unknown name.
Strategy make_strategy(const std::string& name, int64_t rounds);

} // namespace tabular
