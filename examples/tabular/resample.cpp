#include "tabular/resample.h"

#include "tabular/table.h"

#include <rebalance/resampling/cluster_centroids.h>
#include <rebalance/resampling/over_sampling.h>
#include <rebalance/resampling/under_sampling.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace tabular {
namespace {

void check_neighbours(const std::string& method, const torch::Tensor& y, int64_t num_classes,
                      int64_t neighbours) {
  const auto counts = class_counts(y, num_classes);
  for (int64_t c = 0; c < num_classes; ++c) {
    if (counts[size_t(c)] <= neighbours) {
      throw std::invalid_argument(fmt::format(
          "--k-neighbors {}: --strategy {} needs more than {} training rows in every class, "
          "class {} has {} in this fold (lower --k-neighbors, --folds or --imbalance-ratio)",
          neighbours, method, neighbours, c, counts[size_t(c)]));
    }
  }
}

Resampled keep(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& rows) {
  return {x.index_select(0, rows), y.index_select(0, rows)};
}

Resampled append(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& new_x,
                 const torch::Tensor& new_y) {
  return {torch::cat({x, new_x.to(x.dtype())}), torch::cat({y, new_y})};
}

Resampled apply(const std::string& method, const torch::Tensor& x, const torch::Tensor& y,
                int64_t num_classes, int64_t k, int64_t seed) {
  const int64_t small_k = std::min<int64_t>(3, k);
  if (method == "random_under") {
    return keep(x, y, rebalance::random_under_sampler(y, "auto", -1, {}, false, seed));
  }
  if (method == "random_over") {
    const auto extra = rebalance::random_over_sampler(y, "auto", -1, {}, seed);
    return append(x, y, x.index_select(0, extra), y.index_select(0, extra));
  }
  if (method == "tomek") return keep(x, y, rebalance::tomek_links(x, y));
  if (method == "enn") {
    check_neighbours(method, y, num_classes, small_k);
    return keep(x, y, rebalance::edited_nearest_neighbours(x, y, "auto", {}, small_k));
  }
  if (method == "nearmiss") {
    check_neighbours(method, y, num_classes, small_k);
    return keep(x, y, rebalance::near_miss(x, y, "auto", -1, {}, small_k));
  }
  if (method == "cluster_centroids") {
    const auto [rows, labels, source] =
        rebalance::cluster_centroids(x, y, "auto", -1, {}, "soft", 300, 1e-4, seed);
    return {rows.to(x.dtype()), labels};
  }
  check_neighbours(method, y, num_classes, k);
  if (method == "smote") {
    const auto [new_x, new_y] = rebalance::smote(x, y, "auto", -1, {}, k, seed);
    return append(x, y, new_x, new_y);
  }
  if (method == "adasyn") {
    const auto [new_x, new_y] = rebalance::adasyn(x, y, "auto", -1, {}, k, seed);
    return append(x, y, new_x, new_y);
  }
  if (method == "smote_tomek") {
    const auto [new_x, new_y, kept] = rebalance::smote_tomek(x, y, "auto", -1, {}, k, seed);
    const auto all = append(x, y, new_x, new_y);
    return keep(all.x, all.y, kept);
  }
  throw std::invalid_argument("--strategy: unknown data-level method " + method);
}

} // namespace

const std::vector<std::string>& resampler_names() {
  static const std::vector<std::string> names = {"random_under", "random_over", "tomek", "enn",
                                                 "nearmiss", "cluster_centroids", "smote",
                                                 "adasyn", "smote_tomek"};
  return names;
}

Resampled resample(const std::string& method, const torch::Tensor& x, const torch::Tensor& y,
                   int64_t num_classes, int64_t k_neighbors, int64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  Resampled out = apply(method, x, y, num_classes, k_neighbors, seed);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

} // namespace tabular
