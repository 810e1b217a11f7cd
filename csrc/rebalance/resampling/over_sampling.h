#pragma once

#include "rebalance/compat.h"
#include "rebalance/resampling/checks.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {

// Over-sampling. x: features n × d (floating, finite); y: integer labels (n) in [0, C).
// strategy / ratio / counts follow resampling::resolve_sampling_strategy (over-sampling: default
// "auto" = every class but the majority grows to the majority's size). Random draws come from a
// CPU generator seeded by `seed`, so results do not depend on the device.

/// Random over-sampling: returns the indices (int64, grouped by class in ascending label order)
/// of the rows to append, drawn uniformly with replacement within each targeted class.
at::Tensor random_over_sampler(const at::Tensor& y, rebalance::string_view strategy = "auto",
                               double ratio = -1,
                               const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                               int64_t seed = 0);

/// SMOTE (Chawla et al. 2002): each new row is x_new = x_i + u·(x_nn − x_i), x_i a uniformly drawn
/// row of the class, x_nn one of its k_neighbors (default 5) nearest rows of the same class (self
/// excluded, uniform), u ~ U[0, 1). A targeted class needs more than k_neighbors rows.
/// Returns (new rows m × d in x's dtype, their labels int64 (m)), classes in ascending order.
std::tuple<at::Tensor, at::Tensor> smote(const at::Tensor& x, const at::Tensor& y,
                                         rebalance::string_view strategy = "auto", double ratio = -1,
                                         const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                                         int64_t k_neighbors = 5, int64_t seed = 0,
                                         int64_t memory_budget = resampling::kDefaultMemoryBudget);

/// ADASYN (He et al. 2008), as imbalanced-learn 0.10: row i of a targeted class gets
/// rint(r_i / Σr · target) new rows, r_i the share of its n_neighbors (default 5) nearest rows in
/// the whole set (self excluded) that belong to another class; each new row interpolates x_i
/// towards one of its n_neighbors nearest same-class rows as in SMOTE. Errors when no row of a
/// targeted class has a neighbour of another class. Returns (new rows, labels).
std::tuple<at::Tensor, at::Tensor> adasyn(const at::Tensor& x, const at::Tensor& y,
                                          rebalance::string_view strategy = "auto", double ratio = -1,
                                          const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                                          int64_t n_neighbors = 5, int64_t seed = 0,
                                          int64_t memory_budget = resampling::kDefaultMemoryBudget);

/// SMOTE followed by Tomek-link cleaning of every class (imbalanced-learn's SMOTETomek).
/// Returns (new rows m × d, their labels (m), kept indices into cat([x, new rows])).
std::tuple<at::Tensor, at::Tensor, at::Tensor> smote_tomek(
    const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy = "auto",
    double ratio = -1, const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
    int64_t k_neighbors = 5, int64_t seed = 0,
    int64_t memory_budget = resampling::kDefaultMemoryBudget);

} // namespace rebalance
