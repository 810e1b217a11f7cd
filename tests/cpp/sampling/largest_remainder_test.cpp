#include "rebalance/sampling/largest_remainder.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace {

// Hamilton's method in exact integer arithmetic for integer weights: quota numerator
// total * w_c over Σw; the remainders total * w_c mod Σw rank the classes.
std::vector<int64_t> hamilton_reference(const std::vector<int64_t>& w, int64_t total) {
  const int64_t sum = std::accumulate(w.begin(), w.end(), int64_t{0});
  std::vector<int64_t> n(w.size());
  std::vector<std::pair<int64_t, size_t>> rest;
  int64_t left = total;
  for (size_t c = 0; c < w.size(); ++c) {
    n[c] = total * w[c] / sum;
    left -= n[c];
    rest.emplace_back(-(total * w[c] % sum), c);
  }
  std::sort(rest.begin(), rest.end());
  for (int64_t i = 0; i < left; ++i) ++n[rest[i].second];
  return n;
}

TEST(SamplingLargestRemainder, MatchesExactHamiltonOnIntegerWeights) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t classes = 1 + rng() % 12;
    std::vector<int64_t> w(classes);
    std::vector<double> wd(classes);
    for (size_t c = 0; c < classes; ++c) {
      w[c] = rng() % 50;
      wd[c] = static_cast<double>(w[c]);
    }
    if (std::accumulate(w.begin(), w.end(), int64_t{0}) == 0) continue;
    const int64_t total = rng() % 1000;
    EXPECT_EQ(rebalance::sampling::largest_remainder(wd, total), hamilton_reference(w, total))
        << "trial " << trial;
  }
}

TEST(SamplingLargestRemainder, TiesGoToTheSmallerClassIndex) {
  const auto n = rebalance::sampling::largest_remainder({1, 1, 1, 1}, 6);
  EXPECT_EQ(n, (std::vector<int64_t>{2, 2, 1, 1}));
}

TEST(SamplingLargestRemainder, ZeroWeightsGetNothing) {
  const auto n = rebalance::sampling::largest_remainder({0, 3, 0, 1}, 7);
  EXPECT_EQ(n[0], 0);
  EXPECT_EQ(n[2], 0);
  EXPECT_EQ(n[1] + n[3], 7);
  EXPECT_EQ(rebalance::sampling::largest_remainder({0, 0}, 5), (std::vector<int64_t>{0, 0}));
}

TEST(SamplingLargestRemainder, BoundedVersionKeepsBoundsAndTotal) {
  using rebalance::sampling::bounded_largest_remainder;
  // Quotas already within bounds: plain largest remainder.
  EXPECT_EQ(bounded_largest_remainder({2.5, 1.25, 3.25}, {0, 0, 0}, {9, 9, 9}, 7),
            (std::vector<int64_t>{3, 1, 3}));
  // The class with the largest fraction is at its upper bound: the unit goes to the next one.
  EXPECT_EQ(bounded_largest_remainder({2.9, 1.6, 2.5}, {0, 0, 0}, {2, 9, 9}, 7),
            (std::vector<int64_t>{2, 2, 3}));
  // Removing units takes them from the smallest fractions above their lower bound.
  EXPECT_EQ(bounded_largest_remainder({3.1, 2.2, 2.9}, {0, 2, 0}, {9, 9, 9}, 6),
            (std::vector<int64_t>{2, 2, 2}));
  EXPECT_THROW(bounded_largest_remainder({1, 1}, {0, 0}, {1, 1}, 3), c10::ValueError);
}

TEST(SamplingLargestRemainder, SplitsTotalsAbove2To53Exactly) {
  // Quotas above 2^53 round by more than a unit each; the sum must still be the total.
  for (const int64_t total : {(int64_t{1} << 53) + 1, (int64_t{1} << 60) + 7,
                              std::numeric_limits<int64_t>::max() / 2}) {
    const auto n = rebalance::sampling::largest_remainder({1, 3, 3, 7, 1e-3}, total);
    EXPECT_EQ(std::accumulate(n.begin(), n.end(), int64_t{0}), total) << total;
    for (const int64_t v : n) EXPECT_GE(v, 0);
  }
  // Weights whose sum overflows a double still split proportionally.
  const auto n = rebalance::sampling::largest_remainder({1e308, 1e308, 0}, 10);
  EXPECT_EQ(n, (std::vector<int64_t>{5, 5, 0}));
}

TEST(SamplingLargestRemainder, RejectsNegativeTotalAndWeights) {
  EXPECT_THROW(rebalance::sampling::largest_remainder({1, 2}, -1), c10::ValueError);
  EXPECT_THROW(rebalance::sampling::largest_remainder({1, -2}, 3), c10::ValueError);
}

} // namespace
