#pragma once

// The one table of training strategies (the Fashion-MNIST-LT comparison's rows): the C++ example
// and the Python recipe both read it (torch.classes.rebalance.PhaseScheduler.strategy).
#include "rebalance/sampling/sampling_policy_options.h"
#include "rebalance/schedule/phase_options.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rebalance {
namespace schedule {

/// A training strategy: a PhaseScheduler schedule, the loss it trains with and how it reads the
/// logits at validation and test. A phase's weighting is the loss's class_weight.
struct Strategy {
  /// Phases over the nominal number of epochs (to_step_budget turns them into step budgets).
  std::vector<PhaseOptions> phases;
  /// Focal gamma of the "softmax_focal" loss; 0 trains with torch's cross-entropy.
  double gamma = 0;
  /// The loss: "softmax_focal" (rebalance::softmax_focal_loss with gamma), "logit_adjusted"
  /// (rebalance::logit_adjusted_cross_entropy with tau and the train split's log prior) or
  /// "ldam" (rebalance::ldam_loss with ldam_margins(counts, ldam_max_margin), ldam_scale).
  std::string loss = "softmax_focal";
  /// tau of the "logit_adjusted" loss (1: balanced softmax, Ren et al. 2020).
  double tau = 1;
  /// Post-hoc logit adjustment (Menon et al. 2021): validation and test predict with
  /// argmax(logits - posthoc_tau * log prior); 0 predicts with argmax(logits).
  double posthoc_tau = 0;
  /// Largest LDAM margin (Cao et al. 2019: 0.5).
  double ldam_max_margin = 0.5;
  /// LDAM logit scale s. Cao et al. use 30 with a normalized last layer; the examples' CNN ends
  /// in a plain linear layer, whose logits are already large: s was picked on the validation
  /// split (README, Fashion-MNIST-LT).
  double ldam_scale = 1;
  /// Options of the sampler in the strategy's phases (each phase sets the policy kind and
  /// ratio); `dynamic` sets its controller here (README, "The dynamic method").
  sampling::SamplingPolicyOptions sampler = {};
  /// The column of the validation report the sampler's update takes (report_scores: f1,
  /// recall, recall_lcb, ...).
  std::string sampler_score = "f1";
  /// Validations per pass over the training split: the sampler's epoch is ceil(train size / k)
  /// draws (set_epoch_budget), so the loop validates, and the dynamic sampler updates, k times
  /// as often. 1 for every strategy but `dynamic`.
  int64_t validations_per_epoch = 1;
};

/// Sets `strategy.sampler`'s budget to ceil(train_size / validations_per_epoch) draws (leaves it
/// unset, i.e. the train size, at 1). ValueError for validations_per_epoch < 1 or train_size < 0.
void set_epoch_budget(Strategy& strategy, int64_t train_size);


/// The sampler options of `phase`: `sampler` (a strategy's) with the phase's policy kind and
/// sampling ratio. ValueError for an unknown policy name.
sampling::SamplingPolicyOptions phase_policy(const PhaseOptions& phase,
                                             sampling::SamplingPolicyOptions sampler);

/// The strategy names, in the order --help lists them.
const std::vector<std::string>& strategy_names();

/// The schedule of a named strategy over `epochs` nominal epochs: a single phase (ce,
/// weighted_ce, focal, cb_focal, balanced_sampling, sqrt_sampling, adaptive_sampling,
/// dynamic_weights), a preset (presets.h; undersample_then_finetune caps at 3x the smallest
/// class, recommended trains with focal gamma 1) or a literature baseline: logit_adjusted
/// (cross-entropy, post-hoc adjustment with tau 1), balanced_softmax (the logit-adjusted loss
/// with tau 1), ldam_drw (LDAM loss on the drw preset: effective-number weights in its last
/// phase). ValueError for an unknown name.
Strategy make_strategy(const std::string& name, int64_t epochs);

/// Rewrites phases given in epochs as budgets of optimizer steps in the same proportions, so
/// every strategy trains for exactly `total_steps` steps (an under-sampled epoch is small).
void to_step_budget(std::vector<PhaseOptions>& phases, int64_t total_steps);

} // namespace schedule
} // namespace rebalance
