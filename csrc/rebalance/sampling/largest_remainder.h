#pragma once

#include <cstdint>
#include <vector>

namespace rebalance {
namespace sampling {

/// Splits `total` into integers proportional to `weights` (size C, non-negative, finite) by the
/// largest remainder (Hamilton) method: n_c = floor(q_c) with q_c = total · w_c / Σw, then the
/// remaining total - Σ floor(q_c) units go one each to the classes with the largest fractional
/// parts q_c - floor(q_c), ties broken by the smaller class index. Σ n_c == total exactly.
/// All zero weights (or total == 0) give all zeros.
std::vector<int64_t> largest_remainder(const std::vector<double>& weights, int64_t total);

/// Rounds real quotas (size C) to integers n_c in [lower_c, upper_c] with Σ n_c == total
/// (requires Σ lower <= total <= Σ upper): n_c = clamp(floor(quota_c), lower_c, upper_c), then
/// units are added to the classes with the largest fractional parts that are below their upper
/// bound (or removed from those with the smallest that are above their lower bound), ties
/// broken by the smaller class index.
std::vector<int64_t> bounded_largest_remainder(const std::vector<double>& quota,
                                               const std::vector<int64_t>& lower,
                                               const std::vector<int64_t>& upper,
                                               int64_t total);

} // namespace sampling
} // namespace rebalance
