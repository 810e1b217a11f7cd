#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tabular {

/// A training set after a data-level method, and the seconds the method took.
struct Resampled {
  torch::Tensor x, y;
  double seconds = 0;
};

/// The data-level methods: "random_under", "random_over", "tomek", "enn", "nearmiss" (NearMiss-1),
/// "cluster_centroids", "smote", "adasyn", "smote_tomek" (rebalance's resampling ops with their
/// default "auto" strategies, seeded by `seed`).
const std::vector<std::string>& resampler_names();

/// Applies `method` to the training rows x (n × d float), y (n) int64 in [0, C). The nearest-
/// neighbour methods use k_neighbors (SMOTE, ADASYN, SMOTE+Tomek) or min(3, k_neighbors) (ENN,
/// NearMiss) neighbours and need more than that many rows in every class: otherwise throws
/// std::invalid_argument naming --k-neighbors, the class and its count.
Resampled resample(const std::string& method, const torch::Tensor& x, const torch::Tensor& y,
                   int64_t num_classes, int64_t k_neighbors, int64_t seed);

} // namespace tabular
