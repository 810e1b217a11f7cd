#include "rebalance/sampling/largest_remainder.h"

#include "rebalance/bounds.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rebalance {
namespace sampling {

std::vector<int64_t> largest_remainder(const std::vector<double>& weights, int64_t total) {
  TORCH_CHECK_VALUE(total >= 0, "largest_remainder: total must be >= 0, got ", total);
  const size_t num = weights.size();
  std::vector<int64_t> counts(num, 0);
  double largest = 0;
  for (double w : weights) {
    TORCH_CHECK_VALUE(std::isfinite(w) && w >= 0,
                      "largest_remainder: weights must be finite and >= 0, got ", w);
    largest = std::max(largest, w);
  }
  // Weights whose sum overflows are divided by the largest first (each share then <= 1).
  double sum = 0;
  for (double w : weights) sum += w;
  const double unit = std::isfinite(sum) ? 1.0 : largest;
  if (unit != 1.0) {
    sum = 0;
    for (double w : weights) sum += w / unit;
  }
  if (total == 0 || sum <= 0) return counts;
  std::vector<double> fraction(num);
  int64_t assigned = 0;
  for (size_t c = 0; c < num; ++c) {
    const double quota = static_cast<double>(total) * (weights[c] / unit) / sum;
    const double whole = std::floor(quota);
    counts[c] = clamped_floor(whole, 0, total);
    fraction[c] = weights[c] > 0 ? quota - whole : -1.0;
    assigned += counts[c];
  }
  // Rounding can leave Σ floor(q_c) a hair above total; take the excess back from the smallest
  // fractions so the sum stays exact.
  // Only classes with a positive weight take or give units: sorting just them keeps the cost
  // O(C + P log P) with millions of (mostly empty) classes.
  std::vector<size_t> order;
  for (size_t c = 0; c < num; ++c) {
    if (weights[c] > 0) order.push_back(c);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return fraction[a] > fraction[b]; });
  const size_t positive = order.size();
  int64_t left = total - assigned;
  for (size_t i = 0; left > 0; i = (i + 1) % positive) {
    ++counts[order[i]];
    --left;
  }
  // Whole passes from the smallest fractions up until the excess is gone (quotas rounded up
  // by more than a unit each, as above 2^53, take several passes).
  while (left < 0) {
    for (size_t i = positive; left < 0 && i-- > 0;) {
      if (counts[order[i]] > 0) {
        --counts[order[i]];
        ++left;
      }
    }
  }
  return counts;
}

std::vector<int64_t> bounded_largest_remainder(const std::vector<double>& quota,
                                               const std::vector<int64_t>& lower,
                                               const std::vector<int64_t>& upper,
                                               int64_t total) {
  const size_t num = quota.size();
  TORCH_CHECK_VALUE(lower.size() == num && upper.size() == num,
                    "bounded_largest_remainder: quota, lower and upper must have one entry per "
                    "class, got ", num, ", ", lower.size(), ", ", upper.size());
  std::vector<int64_t> counts(num);
  std::vector<double> fraction(num);
  int64_t left = total;
  for (size_t c = 0; c < num; ++c) {
    const double whole = std::floor(quota[c]);
    counts[c] = clamped_floor(whole, lower[c], upper[c]);
    fraction[c] = std::isfinite(whole) ? quota[c] - whole : 0.0;
    left -= counts[c];
  }
  std::vector<size_t> order(num);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return fraction[a] > fraction[b]; });
  while (left != 0) {
    int64_t moved = 0;
    for (size_t i = 0; i < num && left != 0; ++i) {
      const size_t c = left > 0 ? order[i] : order[num - 1 - i];
      if (left > 0 && counts[c] < upper[c]) {
        ++counts[c];
        --left;
        ++moved;
      } else if (left < 0 && counts[c] > lower[c]) {
        --counts[c];
        ++left;
        ++moved;
      }
    }
    TORCH_CHECK_VALUE(moved > 0, "bounded_largest_remainder: total ", total,
                      " is outside [sum(lower), sum(upper)]");
  }
  return counts;
}

} // namespace sampling
} // namespace rebalance
