#pragma once

#include "rebalance/sampling/sampling_policy_options.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace rebalance {
namespace sampling {

/// Maps class counts N_c (size C) and, for the adaptive policies, the last per-class scores to
/// per-class draw counts n_c for an epoch. Proportional policies split the budget B (default
/// Σ N_c) in proportion to w_c with largest_remainder(); classes with N_c == 0 always get n_c == 0.
///
///   instance        w_c = N_c
///   class_balanced  w_c = 1
///   power           w_c = N_c^q
///   progressive     w_c = (1 - t/T) N_c/ΣN + (t/T)/C',  t = min(epoch, T), C' = #{N_c > 0}
///   f1_adaptive     w_c = 1 - s_c (s: last scores in [0, 1]); before any update, or when every
///                   non-empty class has s_c == 1, w_c = N_c
///   dynamic         w_c = N_c m_c with m_c = 1 initially and, at each update(s),
///                     m_c <- clamp(β m_c + (1 - β) exp(η (s̄ - s_c)), floor, ceiling)
///                   where s̄ is the mean score over non-empty classes; the budget is split
///                   with n_c in [ceil(floor N_c), floor(ceiling N_c)]: quotas
///                   q_c = clamp(λ w_c, floor N_c, ceiling N_c) with λ solving Σ q_c = B, then
///                   bounded_largest_remainder(); B is clamped to the feasible range
///   undersample     n_c = min(N_c, floor(ratio · min_{N_k > 0} N_k))
///   oversample      n_c = max_k N_k
///   explicit        n_c = counts[c], or N_c where counts[c] == -1
class SamplingPolicy {
 public:
  /// `class_counts`: N_c, size C >= 1, each >= 0. Validates the options (ValueError).
  SamplingPolicy(SamplingPolicyOptions options, std::vector<int64_t> class_counts);

  /// Draw counts n_c (size C) for `epoch` (>= 0) from the current state.
  std::vector<int64_t> draw_counts(int64_t epoch) const;

  /// Feeds per-class scores (size C, finite; in [0, 1] for f1_adaptive) of the last evaluation,
  /// e.g. F1 or recall. Scores of empty classes are ignored.
  void update(const at::Tensor& scores);

  /// Same, from a vector of size C.
  void update(const std::vector<double>& scores);

  /// The dynamic multipliers m_c, size C (all 1 until an update).
  const std::vector<double>& multipliers() const { return multipliers_; }
  /// The last scores, size C, or empty before the first update.
  const std::vector<double>& scores() const { return scores_; }
  /// How many times update() was called.
  int64_t num_updates() const { return num_updates_; }
  /// Restores the state saved from multipliers(), scores() and num_updates().
  void set_state(std::vector<double> multipliers, std::vector<double> scores,
                 int64_t num_updates);

  /// The options given at construction.
  const SamplingPolicyOptions& options() const { return options_; }
  /// N_c, size C.
  const std::vector<int64_t>& class_counts() const { return class_counts_; }
  /// C.
  int64_t num_classes() const { return static_cast<int64_t>(class_counts_.size()); }
  /// The budget B of the proportional policies: options().budget() or Σ N_c.
  int64_t budget() const;

 private:
  std::vector<double> weights(int64_t epoch) const;

  SamplingPolicyOptions options_;
  std::vector<int64_t> class_counts_;
  std::vector<double> multipliers_;
  std::vector<double> scores_;
  int64_t num_updates_ = 0;
};

} // namespace sampling
} // namespace rebalance
