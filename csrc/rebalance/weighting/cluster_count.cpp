#include "rebalance/weighting/cluster_count.h"

#include "rebalance/bounds.h"
#include "rebalance/resampling/checks.h"
#include "rebalance/resampling/kmeans.h"

#include <cmath>
#include <tuple>
#include <torch/library.h>

namespace rebalance {

at::Tensor count_clusters_per_class(const at::Tensor& features, const at::Tensor& labels,
                                    int64_t num_classes, int64_t max_clusters,
                                    double min_improvement, int64_t seed) {
  constexpr const char* op = "count_clusters_per_class";
  TORCH_CHECK_TYPE(at::isFloatingType(features.scalar_type()), op,
                   ": features must be floating point, got ", features.scalar_type());
  TORCH_CHECK_TYPE(labels.scalar_type() == at::kLong, op, ": labels must be int64, got ",
                   labels.scalar_type());
  TORCH_CHECK_VALUE(features.dim() == 2 && labels.dim() == 1 && labels.size(0) == features.size(0),
                    op, ": expected features (N, D) and labels (N), got ", features.sizes(),
                    " and ", labels.sizes());
  check_num_classes(op, "num_classes", num_classes);
  TORCH_CHECK_VALUE(max_clusters >= 1, op, ": max_clusters must be >= 1, got ", max_clusters);
  TORCH_CHECK_VALUE(min_improvement > 0 && min_improvement < 1, op,
                    ": min_improvement must be in (0, 1), got ", min_improvement);
  const at::Tensor y = labels.to(at::kCPU);
  if (y.numel() > 0) {
    const int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
    TORCH_CHECK_INDEX(lo >= 0 && hi < num_classes, op, ": labels must be in [0, ", num_classes,
                      "), got values from ", lo, " to ", hi);
  }
  const at::Tensor x = features.detach().to(at::kCPU);
  resampling::check_features(op, x);
  // One pass groups the rows by class: the work grows with the rows, not with num_classes.
  const auto members = resampling::class_members(y.contiguous(), num_classes);
  at::Tensor out = at::zeros({num_classes}, at::kLong);
  auto* k_out = out.data_ptr<int64_t>();
  for (int64_t c = 0; c < num_classes; ++c) {
    if (members[c].empty()) continue;
    const at::Tensor xc = x.index_select(0, resampling::to_tensor(members[c]));
    const int64_t n = xc.size(0);
    int64_t k = 1;
    const auto inertia_of = [&](int64_t clusters) {
      return std::get<2>(detail::kmeans_impl(op, xc, clusters, 300, 1e-4, seed,
                                             resampling::kDefaultMemoryBudget))
          .item<double>();
    };
    double inertia = inertia_of(1);
    while (k < std::min(max_clusters, n) && inertia > 0) {
      const double next = inertia_of(k + 1);
      if (next > (1.0 - min_improvement) * inertia) break;
      inertia = next;
      ++k;
    }
    k_out[c] = k;
  }
  return out;
}

} // namespace rebalance

namespace rebalance {
namespace {

/// Fake (Meta) kernel: K_c per class, (num_classes,) int64. The kernel returns it on the CPU;
/// traced with CUDA features, the fake output says CUDA (a Meta kernel cannot name another
/// device).
at::Tensor count_clusters_per_class_meta(const at::Tensor& features, const at::Tensor& labels,
                                         int64_t num_classes, int64_t max_clusters,
                                         double min_improvement, int64_t seed) {
  check_num_classes("count_clusters_per_class", "num_classes", num_classes);
  return at::empty({num_classes}, features.options().dtype(at::kLong));
}

} // namespace
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("count_clusters_per_class(Tensor features, Tensor labels, int num_classes, "
        "int max_clusters=8, float min_improvement=0.5, int seed=0) -> Tensor");
}

// A statistic of the data (no gradient): one kernel for every backend, and a Meta kernel.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("count_clusters_per_class", &rebalance::count_clusters_per_class);
}

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("count_clusters_per_class", &rebalance::count_clusters_per_class_meta);
}
