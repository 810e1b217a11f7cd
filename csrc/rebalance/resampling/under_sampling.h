#pragma once

#include "rebalance/compat.h"
#include "rebalance/resampling/checks.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

namespace rebalance {

// Under-sampling and cleaning. x: features n × d (floating, finite); y: integer labels (n) in
// [0, C). strategy / ratio / counts follow resampling::resolve_sampling_strategy. Every op
// returns the kept row indices (int64, ascending) so callers can index their own dataset.

/// Random under-sampling: each targeted class keeps `target` of its rows drawn without
/// replacement (with replacement when `replacement`), seeded by `seed`; other classes are kept.
at::Tensor random_under_sampler(const at::Tensor& y, rebalance::string_view strategy = "auto",
                                double ratio = -1,
                                const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                                bool replacement = false, int64_t seed = 0);

/// Tomek links (Tomek 1976): i and j form a link when each is the other's nearest neighbour
/// (self excluded, ties to the lowest index) and their classes differ. Removes the members of a
/// link that belong to a targeted class (clean-sampling strategy; default "auto" = every class
/// but the minority, "all" removes both). counts: optional class mask (-1 = not targeted).
/// A link has an end outside the largest class, so when fewer than a quarter of the rows lie
/// outside it only those rows and the rows they point to are searched (n/10 outside: about 1/8
/// of a full search); otherwise one symmetric search of every row.
at::Tensor tomek_links(const at::Tensor& x, const at::Tensor& y,
                       rebalance::string_view strategy = "auto",
                       const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                       int64_t memory_budget = resampling::kDefaultMemoryBudget);

/// Edited nearest neighbours (Wilson 1972): a row of a targeted class (clean-sampling strategy)
/// is removed when its n_neighbors nearest neighbours (default 3, self excluded) disagree with
/// its class: kind_sel "all" (default) keeps it only if all of them share its class, "mode" if
/// their most frequent label (lowest on ties) is its class.
at::Tensor edited_nearest_neighbours(const at::Tensor& x, const at::Tensor& y,
                                     rebalance::string_view strategy = "auto",
                                     const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                                     int64_t n_neighbors = 3, rebalance::string_view kind_sel = "all",
                                     int64_t memory_budget = resampling::kDefaultMemoryBudget);

/// NearMiss-1 (Mani & Zhang 2003): each targeted class keeps the `target` rows whose mean
/// Euclidean distance to their n_neighbors (default 3) nearest minority rows is smallest (stable:
/// lower index first on ties). The minority is the lowest label with the smallest count.
at::Tensor near_miss(const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy = "auto",
                     double ratio = -1, const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                     int64_t n_neighbors = 3,
                     int64_t memory_budget = resampling::kDefaultMemoryBudget);

} // namespace rebalance
