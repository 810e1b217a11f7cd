#include "rebalance/weighting/cluster_count.h"

#include "rebalance/resampling/kmeans.h"

#include <cmath>
#include <tuple>

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
  TORCH_CHECK_VALUE(num_classes >= 1 && max_clusters >= 1, op,
                    ": num_classes and max_clusters must be >= 1, got ", num_classes, " and ",
                    max_clusters);
  TORCH_CHECK_VALUE(min_improvement > 0 && min_improvement < 1, op,
                    ": min_improvement must be in (0, 1), got ", min_improvement);
  const at::Tensor y = labels.to(at::kCPU);
  TORCH_CHECK_INDEX(y.numel() == 0 || (y.min().item<int64_t>() >= 0 &&
                                       y.max().item<int64_t>() < num_classes),
                    op, ": labels must be in [0, ", num_classes, ")");
  const at::Tensor x = features.detach().to(at::kCPU);
  at::Tensor out = at::zeros({num_classes}, at::kLong);
  for (int64_t c = 0; c < num_classes; ++c) {
    const at::Tensor xc = x.index_select(0, at::nonzero(y == c).view({-1}));
    const int64_t n = xc.size(0);
    if (n == 0) continue;
    int64_t k = 1;
    double inertia = std::get<2>(kmeans(xc, 1, 300, 1e-4, seed)).item<double>();
    while (k < std::min(max_clusters, n) && inertia > 0) {
      const double next = std::get<2>(kmeans(xc, k + 1, 300, 1e-4, seed)).item<double>();
      if (next > (1.0 - min_improvement) * inertia) break;
      inertia = next;
      ++k;
    }
    out[c] = k;
  }
  return out;
}

} // namespace rebalance
