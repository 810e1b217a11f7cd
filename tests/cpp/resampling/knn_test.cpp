#include "rebalance/resampling/knn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace {

// Brute force: every distance in float64, then (distance, index) order.
std::pair<at::Tensor, at::Tensor> brute(const at::Tensor& q, const at::Tensor& r, int64_t k,
                                        bool exclude_self) {
  auto d = at::cdist(q.to(at::kDouble), r.to(at::kDouble)).pow(2);
  auto out_i = at::empty({q.size(0), k}, at::kLong);
  auto out_d = at::empty({q.size(0), k}, at::kDouble);
  for (int64_t i = 0; i < q.size(0); ++i) {
    std::vector<int64_t> order(r.size(0));
    std::iota(order.begin(), order.end(), 0);
    if (exclude_self) {
      order.erase(order.begin() + i);
    }
    auto row = d[i];
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return row[a].item<double>() < row[b].item<double>();
    });
    for (int64_t t = 0; t < k; ++t) {
      out_i[i][t] = order[t];
      out_d[i][t] = row[order[t]];
    }
  }
  return {out_d, out_i};
}

at::Tensor data_with_duplicates() {
  at::manual_seed(0);
  auto r = at::randn({120, 5});
  r.narrow(0, 60, 30).copy_(r.narrow(0, 0, 30));
  r.narrow(0, 100, 10).copy_(r[7].unsqueeze(0).expand({10, 5}));
  return r;
}

TEST(ResamplingKnn, MatchesBruteForceWithTies) {
  const auto r = data_with_duplicates();
  for (bool exclude_self : {false, true}) {
    const auto result = rebalance::knn(r, r, 9, exclude_self);
    const auto expected = brute(r, r, 9, exclude_self);
    EXPECT_TRUE(at::equal(std::get<1>(result), expected.second)) << "exclude_self=" << exclude_self;
    EXPECT_TRUE(at::allclose(std::get<0>(result).to(at::kDouble), expected.first, 1e-5, 1e-5));
  }
}

TEST(ResamplingKnn, GenericPathAndSmallBudgetsAgree) {
  const auto r = data_with_duplicates();
  const auto q = at::cat({r.narrow(0, 0, 17), at::randn({13, 5})});
  const auto self = at::cat({at::arange(17), at::full({13}, -1, at::kLong)});
  const auto ref = rebalance::detail::knn_impl(q, r, 4, self, 1 << 26, false);
  for (int64_t budget : {int64_t{256}, int64_t{1} << 12, int64_t{1} << 26}) {
    for (bool generic : {false, true}) {
      const auto got = rebalance::detail::knn_impl(q, r, 4, self, budget, generic);
      EXPECT_TRUE(at::equal(std::get<1>(got), std::get<1>(ref))) << budget << " " << generic;
      // The generic path sums the squared differences in another order: last-bit differences.
      EXPECT_TRUE(at::allclose(std::get<0>(got), std::get<0>(ref), 1e-12, 0))
          << budget << " " << generic;
    }
  }
  const auto idx = std::get<1>(ref);
  for (int64_t i = 0; i < 17; ++i) {
    EXPECT_FALSE((idx[i] == i).any().item<bool>());
  }
}

TEST(ResamplingKnn, SymmetricBlocksMatchTheGeneralPath) {
  const auto r = data_with_duplicates();
  const auto self = at::arange(r.size(0));
  const auto expected = brute(r, r, 6, true);
  for (int64_t budget : {int64_t{512}, int64_t{1} << 13, int64_t{1} << 26}) {
    const auto got = rebalance::detail::knn_impl(r, r, 6, self, budget, false, true);
    EXPECT_TRUE(at::equal(std::get<1>(got), expected.second)) << budget;
    EXPECT_TRUE(at::allclose(std::get<0>(got), expected.first, 1e-5, 1e-5)) << budget;
  }
}

// The k-d tree and the scan are two searches for one answer: the same indices and, both
// measuring with the same float64 sum, the same distances to the bit.
TEST(ResamplingKnn, TreeMatchesTheScan) {
  at::manual_seed(3);
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    // Half integer-valued rows (ties and shared coordinates), half continuous, 3 features.
    auto r = at::cat({at::randint(0, 5, {2000, 3}), at::randn({1000, 3})}).to(dtype);
    r.narrow(0, 2500, 40).copy_(r.narrow(0, 0, 40));  // exact duplicates across the halves
    const auto q = at::cat({r.narrow(0, 0, 300), at::randn({50, 3}, dtype)});
    const auto self = at::cat({at::arange(300), at::full({50}, -1, at::kLong)});
    for (int64_t k : {1, 7}) {
      rebalance::detail::KnnProblem p{q.contiguous(), r.contiguous(), self, k, k + 3, 1 << 26,
                                      false};
      ASSERT_TRUE(rebalance::detail::knn_tree_may_apply(p));
      auto scan_d = at::empty({q.size(0), k}, at::kDouble), scan_i = at::empty_like(scan_d, at::kLong);
      rebalance::detail::knn_cpu(p, scan_d, scan_i);
      auto tree_d = at::empty_like(scan_d), tree_i = at::empty_like(scan_i);
      ASSERT_TRUE(rebalance::detail::knn_tree(p, tree_d, tree_i, /*probe=*/false));
      EXPECT_TRUE(at::equal(tree_i, scan_i)) << dtype << " k=" << k;
      EXPECT_TRUE(at::equal(tree_d, scan_d)) << dtype << " k=" << k;
      // Some rows only (the scan's unproven queries take this path).
      const std::vector<int64_t> rows = {0, 5, 299, 349};
      auto rows_d = at::zeros_like(scan_d), rows_i = at::zeros_like(scan_i);
      rebalance::detail::knn_tree_rows(p, rows, rows_d, rows_i);
      for (int64_t i : rows) {
        EXPECT_TRUE(at::equal(rows_i[i], scan_i[i])) << i;
        EXPECT_TRUE(at::equal(rows_d[i], scan_d[i])) << i;
      }
    }
  }
}

TEST(ResamplingKnn, ClearErrors) {
  const auto x = at::randn({5, 2});
  EXPECT_THROW(rebalance::knn(x, x, 5, true), c10::ValueError);
  EXPECT_THROW(rebalance::knn(x, at::randn({5, 3}), 1), c10::ValueError);
  EXPECT_THROW(rebalance::knn(x.to(at::kLong), x.to(at::kLong), 1), c10::TypeError);
}

} // namespace
