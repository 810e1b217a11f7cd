#pragma once

#include "rebalance/compat.h"
#include "rebalance/fields.h"
#include <torch/arg.h>

#include <c10/util/Optional.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rebalance {
namespace sampling {

/// How a SamplingPolicy turns class counts N_c into per-class draw counts n_c.
enum class PolicyKind {
  Instance,      ///< n_c ∝ N_c (natural frequencies).
  ClassBalanced, ///< n_c ∝ 1 for every non-empty class.
  Power,         ///< n_c ∝ N_c^q (q = 0.5: square-root sampling).
  Progressive,   ///< p_c(t) = (1 - t/T) N_c/ΣN + (t/T)/C' (Kang et al. 2020).
  Undersample,   ///< n_c = min(N_c, floor(ratio · min_c N_c)); ignores the budget.
  Oversample,    ///< n_c = max_c N_c; ignores the budget.
  F1Adaptive,    ///< n_c ∝ 1 - score_c of the last update (Pouyanfar et al. 2018).
  Dynamic,       ///< n_c ∝ b_c · m_c (b_c = N_c^base rescaled to the budget; m_c updated
                 ///< from the scores), within [floor, ceiling] · b_c.
  Explicit,      ///< n_c given per class (imbalanced-learn dict semantics); ignores the budget.
};

/// Parses "instance", "class_balanced", "power", "progressive", "undersample", "oversample",
/// "f1_adaptive", "dynamic" or "explicit"; anything else is a ValueError.
PolicyKind parse_policy_kind(const std::string& name);

/// The name parse_policy_kind accepts for `kind`.
std::string policy_kind_name(PolicyKind kind);

/// The fields of SamplingPolicyOptions besides the policy kind: X(type, name, default, doc).
#define REBALANCE_SAMPLING_POLICY_FIELDS(X)                                                    \
  X(rebalance::optional<int64_t>, budget, rebalance::nullopt,                                  \
    "Epoch size sum n_c of the proportional policies (all but undersample, oversample and "     \
    "explicit), >= 0; None means sum N_c.")                                                    \
  X(double, q, 0.5, "Exponent q of power.")                                                    \
  X(int64_t, total_epochs, 90,                                                                \
    "Epoch T at which progressive reaches class-balanced sampling; > 0.")                     \
  X(double, ratio, 1.0,                                                                       \
    "undersample target as a multiple of the smallest non-empty class; > 0.")                 \
  X(double, step, 1.0, "dynamic step size eta in exp(eta (mean - score_c)); >= 0.")            \
  X(double, smoothing, 0.5,                                                                   \
    "dynamic smoothing beta in [0, 1): weight of the previous multiplier.")                   \
  X(double, floor, 0.25, "dynamic lower bound of m_c and of n_c / b_c; > 0.")                  \
  X(double, ceiling, 4.0, "dynamic upper bound of m_c and of n_c / b_c; >= floor.")            \
  X(double, base, 1.0,                                                                        \
    "dynamic base exponent p in [0, 1]: m_c scales b_c = N_c^p B / sum N^p (B: the budget; "    \
    "1: instance counts, 0.5: square-root sampling).")                                        \
  X(bool, integral, false,                                                                    \
    "dynamic controller: log m_c += step (mean - score_c), clamped to [log floor, log "        \
    "ceiling] (integrates the error; smoothing unused) instead of smoothing toward "           \
    "exp(step (mean - score_c)).")                                                            \
  X(std::vector<int64_t>, counts, {},                                                          \
    "explicit draws per class, size C; -1 keeps N_c (every class keeps N_c when empty).")

/// Options of a SamplingPolicy (LibTorch style; fields and defaults in the list above).
/// Example: `SamplingPolicyOptions(PolicyKind::Dynamic).step(2.0).ceiling(8.0)`.
struct SamplingPolicyOptions {
  /// Constructs options for the policy `kind`.
  /* implicit */ SamplingPolicyOptions(PolicyKind kind = PolicyKind::Instance) : kind_(kind) {}

  /// The policy. Default: PolicyKind::Instance.
  TORCH_ARG(PolicyKind, kind);
  REBALANCE_OPTIONS_FIELDS(REBALANCE_SAMPLING_POLICY_FIELDS)
};

} // namespace sampling
} // namespace rebalance
