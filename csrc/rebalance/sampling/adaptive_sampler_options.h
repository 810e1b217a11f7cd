#pragma once

#include "rebalance/sampling/sampling_policy_options.h"

#include <torch/arg.h>

#include <cstdint>

namespace rebalance {

/// Options of AdaptiveSampler (LibTorch style).
/// Example: `AdaptiveSamplerOptions(sampling::PolicyKind::Dynamic).seed(7).world_size(2)`.
struct AdaptiveSamplerOptions {
  /// Constructs options around the sampling policy `policy`.
  /* implicit */ AdaptiveSamplerOptions(sampling::SamplingPolicyOptions policy = {})
      : policy_(std::move(policy)) {}

  /// The sampling policy and its parameters. Default: instance (natural) sampling.
  TORCH_ARG(sampling::SamplingPolicyOptions, policy);
  /// Seed of every epoch plan; the plan of an epoch depends on (seed, epoch, policy state)
  /// only, so all ranks must share it. Default: 0.
  TORCH_ARG(int64_t, seed) = 0;
  /// This process's rank in [0, world_size). Default: 0.
  TORCH_ARG(int64_t, rank) = 0;
  /// Number of ranks sharing the plan (DistributedSampler's num_replicas), >= 1. Default: 1.
  TORCH_ARG(int64_t, world_size) = 1;
  /// Drop the tail of the plan that does not divide evenly by world_size instead of padding
  /// by wrapping around (DistributedSampler semantics). Default: false.
  TORCH_ARG(bool, drop_last) = false;
  /// Print describe() to stderr whenever reset() builds an epoch. Default: false.
  TORCH_ARG(bool, log_epochs) = false;
};

} // namespace rebalance
