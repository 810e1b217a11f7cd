#pragma once

#include "rebalance/sampling/sampling_policy_options.h"

#include <torch/arg.h>

#include <cstdint>

namespace rebalance {

/// The fields of AdaptiveSamplerOptions besides the policy: X(type, name, default, doc).
#define REBALANCE_ADAPTIVE_SAMPLER_FIELDS(X)                                                   \
  X(int64_t, seed, 0,                                                                          \
    "Seed of every epoch plan; the plan of an epoch depends on (seed, epoch, policy state) "    \
    "only, so all ranks must share it.")                                                       \
  X(int64_t, rank, 0, "This process's rank in [0, world_size).")                               \
  X(int64_t, world_size, 1,                                                                    \
    "Number of ranks sharing the plan (DistributedSampler's num_replicas), >= 1.")             \
  X(bool, drop_last, false,                                                                    \
    "Drop the tail of the plan that does not divide evenly by world_size instead of padding "   \
    "by wrapping around (DistributedSampler semantics).")                                      \
  X(bool, log_epochs, false, "Print describe() to stderr whenever reset() builds an epoch.")

/// Options of AdaptiveSampler (LibTorch style): the policy's fields, then those of the list
/// above, visited as one flat list.
/// Example: `AdaptiveSamplerOptions(sampling::PolicyKind::Dynamic).seed(7).world_size(2)`.
struct AdaptiveSamplerOptions {
  /// Constructs options around the sampling policy `policy`.
  /* implicit */ AdaptiveSamplerOptions(sampling::SamplingPolicyOptions policy = {})
      : policy_(std::move(policy)) {}

  /// The sampling policy and its parameters. Default: instance (natural) sampling.
  TORCH_ARG(sampling::SamplingPolicyOptions, policy);
  REBALANCE_OPTIONS_FIELDS_AFTER(sampling::SamplingPolicyOptions, policy,
                                 REBALANCE_ADAPTIVE_SAMPLER_FIELDS)
};

} // namespace rebalance
