#pragma once

#include "fmnist/net.h"

#include <rebalance/sampling/adaptive_sampler.h>
#include <rebalance/schedule/phase_scheduler.h>
#include <rebalance/weighting/dynamic_class_weights.h>

#include <torch/torch.h>

#include <string>
#include <vector>

namespace fmnist {

/// The recipe loop's own progress, checkpointed next to the library objects.
struct RecipeProgress {
  /// Epochs finished.
  int64_t epoch = 0;
  /// Optimizer steps taken.
  int64_t step = 0;
  /// Index of the phase whose settings the loop last applied (-1: none yet). The scheduler
  /// moves to the next phase at an epoch's end; the loop applies it when the next epoch starts.
  int64_t applied_phase = -1;
  /// Training seconds spent so far (a resumed run keeps counting from here).
  double seconds = 0;
  /// Validation macro-F1 of every finished epoch.
  std::vector<double> val_macro_f1;
  /// Per-class draw counts of every epoch's sampling plan.
  std::vector<std::vector<int64_t>> draw_counts;
  /// Parameters of the best validation epoch (empty before the first epoch).
  std::vector<torch::Tensor> best_state;
};

/// Everything a run needs to continue exactly: model, optimizer (momentum buffers), sampler,
/// dynamic class weights, scheduler, progress and torch's default CPU generator.
struct RecipeState {
  Net& model;
  torch::optim::Optimizer& optimizer;
  rebalance::AdaptiveSampler& sampler;
  rebalance::DynamicClassWeights& dynamic_weights;
  rebalance::PhaseScheduler& scheduler;
  RecipeProgress& progress;
};

/// Writes the state to `path` through a temporary file renamed over it, so a run killed at any
/// moment leaves either the previous checkpoint or the new one, never a torn file.
void save_checkpoint(const std::string& path, const RecipeState& state);

/// Replaces the state by what save_checkpoint wrote.
void load_checkpoint(const std::string& path, const RecipeState& state);

} // namespace fmnist
