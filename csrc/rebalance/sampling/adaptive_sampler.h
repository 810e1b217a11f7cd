#pragma once

#include "rebalance/checkpoint.h"
#include "rebalance/compat.h"
#include "rebalance/sampling/adaptive_sampler_options.h"
#include "rebalance/sampling/sampling_policy.h"

#include <torch/data/samplers/base.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rebalance {

/// A torch::data sampler that draws every epoch a class-rebalanced plan over a labelled
/// dataset and yields this rank's share of it; the adaptive policies change the per-class draw
/// counts from the per-class scores fed to update() between epochs.
///
/// Copies share one state (a shared_ptr): make_data_loader moves its copy in, and the copy you
/// keep is the handle for set_epoch(), update(), save() and load(). An epoch's plan is built at
/// reset() (which the data loader calls at begin()) from the epoch set by set_epoch() and the
/// policy state at that moment; the first reset() after load() resumes the loaded epoch at the
/// saved position instead, unless set_epoch() moved to another epoch in between (a checkpoint
/// taken at an epoch's end then continues with the next epoch's fresh plan). With loader
/// workers, the saved position includes prefetched batches.
///
///   AdaptiveSampler sampler(labels, 10, AdaptiveSamplerOptions(sampling::PolicyKind::Dynamic));
///   auto loader = torch::data::make_data_loader(dataset, sampler, 64);
///   for (int64_t epoch = 0; epoch < 10; ++epoch) {
///     sampler.set_epoch(epoch);
///     for (auto& batch : *loader) { ... }
///     sampler.update(per_class_f1);  // (C,)
///   }
///
/// Persistence: save/load(archive) (the Sampler<> virtuals), state_bytes()/load_state_bytes()
/// (Checkpointable).
class AdaptiveSampler
    : public Checkpointable<AdaptiveSampler, torch::data::samplers::Sampler<>> {
 public:
  using Options = AdaptiveSamplerOptions;
  static constexpr const char* kCheckpointName = "AdaptiveSampler";
  /// 2: options by field name (budget None or int, counts an int list); 1: budget -1 for none
  /// and counts an int64 tensor (still read).
  static constexpr int64_t kStateVersion = 2;

  /// `labels`: integer (N,) with values in [0, num_classes); N >= 1. Warns once about classes
  /// without samples (they are never drawn).
  AdaptiveSampler(const at::Tensor& labels, int64_t num_classes,
                  AdaptiveSamplerOptions options = {});

  /// Builds the plan of the current epoch and rewinds to its start (or resumes after load()).
  /// `new_size`, if given, must equal N: the labels fix the dataset size.
  void reset(rebalance::optional<size_t> new_size = rebalance::nullopt) override;
  /// The next at most `batch_size` indices of this rank's plan, or nullopt at its end.
  rebalance::optional<std::vector<size_t>> next(size_t batch_size) override;

  /// Sets the epoch of the next reset() (DistributedSampler.set_epoch); >= 0.
  void set_epoch(int64_t epoch);
  /// The epoch the next reset() builds.
  int64_t epoch() const;
  /// Feeds per-class scores (C,) of the last evaluation to the policy; identical scores on
  /// every rank (e.g. all-reduced) keep the ranks' plans identical.
  void update(const at::Tensor& scores);
  /// Switches the policy from the next reset() on (e.g. for a phase scheduler); the dynamic
  /// multipliers, last scores and update count carry over.
  void set_policy(sampling::SamplingPolicyOptions policy);
  /// Yields shard `rank` of `world_size` from the next reset() on: a state saved by one rank
  /// (e.g. the checkpoint DDP's rank 0 writes) then restores on every rank.
  void set_shard(int64_t rank, int64_t world_size);
  /// Draw counts n_c (size C) the next reset() would use.
  std::vector<int64_t> draw_counts() const;
  /// This rank's indices of the current epoch as int64 (size()), built afresh from the current
  /// state; does not move the position.
  at::Tensor indices() const;
  /// Number of indices this rank yields in the current epoch.
  int64_t size() const;
  /// Indices of the running epoch already handed out by next().
  int64_t position() const;
  /// One line: policy, epoch, plan size and n_c/N_c for every class.
  std::string describe() const;
  /// "AdaptiveSampler(N=..., C=..., epoch=..., policy='...', budget=..., ...)".
  std::string repr() const;

  /// The policy (class counts, multipliers, last scores).
  const sampling::SamplingPolicy& policy() const;
  /// The options given at construction.
  const AdaptiveSamplerOptions& options() const;
  /// N_c, size C.
  const std::vector<int64_t>& class_counts() const;
  /// The labels, int64 (N,).
  at::Tensor labels() const;

 private:
  friend class Checkpointable<AdaptiveSampler, torch::data::samplers::Sampler<>>;
  // Labels, options, policy state, epoch and position.
  void write_fields(torch::serialize::OutputArchive& archive) const;
  void read_fields(torch::serialize::InputArchive& archive, int64_t version);
  static AdaptiveSampler placeholder();

  struct State;
  std::shared_ptr<State> state_;
};

} // namespace rebalance
