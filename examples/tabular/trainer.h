#pragma once

#include "tabular/folds.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tabular {

/// Training budget and settings, equal for every strategy.
struct TrainOptions {
  /// Optimizer steps of the whole run (the same for every strategy).
  int64_t steps = 1200;
  /// Validation rounds over those steps (the scheduler's epochs; the best one is tested).
  int64_t rounds = 12;
  int64_t batch_size = 256;
  /// Adam learning rate.
  double lr = 2e-3;
  int64_t seed = 0;
  /// Neighbours of SMOTE / ADASYN / SMOTE+Tomek (ENN and NearMiss: min(3, k)).
  int64_t k_neighbors = 5;
};

/// What one run of a strategy on one fold gives.
struct TrainResult {
  /// Logits (n_test × C) of the best validation round's model on the test rows.
  torch::Tensor test_logits;
  /// Seconds the data-level method took on the training rows (0 without one).
  double resample_seconds = 0;
  /// Seconds of the whole run (resampling, training, validation, test).
  double seconds = 0;
  /// Rows of the resampled training set (the training fold's size without a method).
  int64_t resampled_rows = 0;
  /// The tested round (1-based) and the validation macro-F1 of every round.
  int64_t best_round = 0;
  std::vector<double> val_macro_f1;
  /// Confusion matrix (C × C, int64; rows: true class) of the tested round's model on the
  /// validation rows: summed over runs it is compare_tabular.py's selection signal.
  torch::Tensor val_confusion;
  /// The validation macro-F1 of the tested round (0 before any round).
  double best_val_macro_f1() const {
    return best_round > 0 ? val_macro_f1[size_t(best_round - 1)] : 0.0;
  }
};

/// Trains the recipe's MLP with strategy `name` (strategy.h) on a standardized fold and tests
/// the round with the best validation macro-F1: the same number of optimizer steps for every
/// strategy, in `rounds` rounds with a validation after each; the PhaseScheduler of the strategy
/// picks each round's sampling policy, loss weighting, learning-rate factor and head-only flag,
/// and the adaptive sampler, dynamic weights and scheduler get the validation report.
TrainResult train_strategy(const FoldData& data, int64_t num_classes, const std::string& name,
                           const TrainOptions& options);

} // namespace tabular
