#include "rebalance/schedule/strategies.h"

#include "rebalance/schedule/presets.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace rebalance {
namespace schedule {

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = {
      "ce", "weighted_ce", "focal", "cb_focal", "balanced_sampling", "sqrt_sampling",
      "adaptive_sampling", "dynamic_weights", "undersample_then_finetune", "drw", "drs", "crt",
      "dynamic", "recommended", "logit_adjusted", "balanced_softmax", "ldam_drw"};
  return names;
}

Strategy make_strategy(const std::string& name, int64_t epochs) {
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
  if (name == "logit_adjusted") {
    Strategy s = single(PhaseOptions(), 0);
    s.posthoc_tau = 1;
    return s;
  }
  if (name == "balanced_softmax") {
    Strategy s = single(PhaseOptions(), 0);
    s.loss = "logit_adjusted";
    return s;
  }
  if (name == "ldam_drw") {
    Strategy s{preset("drw", epochs, 1), 0};
    s.loss = "ldam";
    return s;
  }
  if (name == "dynamic") {
    // The controller picked on the validation split of both profiles (README, "The dynamic
    // method"): draws b_c m_c around class-balanced sampling, m_c in [0.25, 2], log m_c
    // integrating how much less often each class is predicted on the validation split than the
    // classes' mean (log_prediction_ratio). It validates four times per pass over the split,
    // so the controller corrects the draws every quarter epoch instead of twice in its phase.
    Strategy s{preset(name, epochs, 1), 0};
    s.sampler.base(0).integral(true).step(1).ceiling(2);
    s.sampler_score = "log_prediction_ratio";
    s.validations_per_epoch = 4;
    return s;
  }
  const auto& presets = preset_names();
  if (name != "standard" && std::find(presets.begin(), presets.end(), name) != presets.end()) {
    const double ratio = name == "undersample_then_finetune" ? 3 : 1;
    return {preset(name, epochs, ratio), name == "recommended" ? 1.0 : 0.0};
  }
  TORCH_CHECK_VALUE(false, "make_strategy: unknown strategy '", name, "'; expected one of ",
                    fmt::format("{}", fmt::join(strategy_names(), ", ")));
}

sampling::SamplingPolicyOptions phase_policy(const PhaseOptions& phase,
                                             sampling::SamplingPolicyOptions sampler) {
  sampler.kind(sampling::parse_policy_kind(phase.sampling())).ratio(phase.sampling_ratio());
  return sampler;
}

void set_epoch_budget(Strategy& strategy, int64_t train_size) {
  const int64_t k = strategy.validations_per_epoch;
  TORCH_CHECK_VALUE(k >= 1, "set_epoch_budget: validations_per_epoch must be >= 1, got ", k);
  TORCH_CHECK_VALUE(train_size >= 0, "set_epoch_budget: train_size must be >= 0, got ",
                    train_size);
  if (k > 1) strategy.sampler.budget((train_size + k - 1) / k);
}

void to_step_budget(std::vector<PhaseOptions>& phases, int64_t total_steps) {
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

} // namespace schedule
} // namespace rebalance
