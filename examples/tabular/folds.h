#pragma once

#include <torch/torch.h>

#include <vector>

namespace tabular {

/// Row indices (ascending) of a seeded exponential subsample: classes sorted by size (largest
/// first, ties to the lower label); the largest C - cut keep every row, and the j-th of the
/// `cut` smallest (j = 1..cut) keeps floor(n_max · ratio^(-j/cut)) rows (at least 1, at most its
/// own), so the smallest ends at n_max / ratio. cut <= 0 means C - 1 (the usual exponential
/// long-tail profile); ratio <= 0 keeps everything. labels: int64 (n) in [0, C).
torch::Tensor imbalance_subsample(const torch::Tensor& labels, int64_t num_classes, double ratio,
                                  int64_t cut, int64_t seed);

/// One fold of a seeded stratified k-fold split, with a stratified validation part carved from
/// its training rows.
struct FoldIndices {
  torch::Tensor train, val, test;
};

/// Fold `fold` of `folds` (each class's rows in a seeded permutation are dealt to the folds in
/// turn, continuing where the previous class stopped, so the folds differ by at most one row);
/// val takes round(val_fraction · n_c) (at least 1) of each class's remaining training rows.
/// Throws std::invalid_argument naming --folds when a class has fewer than `folds` rows, or
/// --val-fraction when it is outside (0, 0.5].
FoldIndices stratified_fold(const torch::Tensor& labels, int64_t num_classes, int64_t folds,
                            int64_t fold, int64_t seed, double val_fraction);

/// The features of one fold, float32, standardized with the mean and standard deviation of the
/// training rows (a constant column is centred only).
struct FoldData {
  torch::Tensor train_x, train_y, val_x, val_y, test_x, test_y;
};

/// Gathers and standardizes a fold of features (float64 n × d) and labels.
FoldData fold_data(const torch::Tensor& features, const torch::Tensor& labels,
                   const FoldIndices& fold);

} // namespace tabular
