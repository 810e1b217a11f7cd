#pragma once

// The exact squared distance of the kNN searches, and the lower bound the k-d tree prunes with:
// both sum their per-feature terms in the same order, so a term-wise smaller sum is never
// rounded above a larger one.
#include <cstdint>

namespace rebalance {
namespace detail {

/// Σ_f term(f)² over d features in float64, in four partial sums (instruction-level
/// parallelism). Rounding is monotone, so term-wise smaller |term| never gives a larger sum.
template <typename Term>
inline double sum_of_squares(int64_t d, Term term) {
  double s[4] = {0, 0, 0, 0};
  int64_t f = 0;
  for (; f + 4 <= d; f += 4) {
    for (int64_t t = 0; t < 4; ++t) {
      const double x = term(f + t);
      s[t] += x * x;
    }
  }
  for (; f < d; ++f) {
    const double x = term(f);
    s[0] += x * x;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/// Σ (a_f − b_f)² in float64: the distance every kNN path reports.
template <typename scalar_t>
inline double exact_distance(const scalar_t* a, const scalar_t* b, int64_t d) {
  return sum_of_squares(
      d, [&](int64_t f) { return static_cast<double>(a[f]) - static_cast<double>(b[f]); });
}

} // namespace detail
} // namespace rebalance
