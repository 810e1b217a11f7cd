#include "rebalance/resampling/cluster_centroids.h"

#include "rebalance/resampling/kmeans.h"
#include "rebalance/resampling/knn.h"
#include "rebalance/resampling/sampling_strategy.h"

#include <string>
#include <vector>
#include "rebalance/resampling/schema_args.h"
#include <torch/library.h>

namespace rebalance {

std::tuple<at::Tensor, at::Tensor, at::Tensor> cluster_centroids(
    const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy, double ratio,
    const rebalance::optional<at::Tensor>& counts, rebalance::string_view voting, int64_t max_iter, double tol,
    int64_t seed, int64_t memory_budget) {
  constexpr const char* op = "cluster_centroids";
  resampling::check_features(op, x);
  resampling::check_budget(op, memory_budget);
  const auto labels = resampling::check_labels(op, x, y);
  const bool hard = voting == "hard";
  TORCH_CHECK_VALUE(hard || voting == "soft", op, ": voting must be \"soft\" or \"hard\", got \"",
                    std::string(voting), "\"");
  const auto n = resampling::class_counts(labels);
  const auto num_classes = static_cast<int64_t>(n.size());
  const auto target = resampling::resolve_sampling_strategy(
      op, n, resampling::SamplingType::Under, strategy, ratio, counts);
  const auto members = resampling::class_members(labels, num_classes);
  const auto long_opts = x.options().dtype(at::kLong);
  std::vector<at::Tensor> rows, out_labels, source;
  for (int64_t c = 0; c < num_classes; ++c) {
    if (members[c].empty()) {
      continue;
    }
    const auto idx = resampling::to_tensor(members[c]);
    const auto xc = x.index_select(0, idx.to(x.device()));
    if (target[c] < 0) {
      rows.push_back(xc);
      source.push_back(idx);
    } else if (target[c] > 0) {
      const auto centres =
          std::get<0>(detail::kmeans_impl(op, xc, target[c], max_iter, tol, seed, memory_budget));
      if (hard) {
        const auto nearest =
            std::get<1>(detail::knn_for(op, centres, xc, 1, at::Tensor(), memory_budget, false))
                .select(1, 0);
        rows.push_back(xc.index_select(0, nearest));
        source.push_back(idx.index_select(0, nearest.to(at::kCPU)));
      } else {
        rows.push_back(centres);
        source.push_back(at::full({target[c]}, -1, long_opts));
      }
    } else {
      continue;
    }
    out_labels.push_back(at::full({rows.back().size(0)}, c, long_opts));
  }
  if (rows.empty()) {
    return {at::empty({0, x.size(1)}, x.options()), at::empty({0}, long_opts),
            at::empty({0}, long_opts)};
  }
  return {at::cat(rows), at::cat(out_labels), at::cat(source).to(x.device())};
}

} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("cluster_centroids(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS
        ", str voting=\"soft\", int max_iter=300, float tol=1e-4, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("cluster_centroids", &rebalance::cluster_centroids);
}
