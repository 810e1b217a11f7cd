// Schemas of the data-level resampling operators (csrc/rebalance/resampling). They are
// compositions of ATen ops that run on the device of their inputs and return no gradient, so one
// CompositeExplicitAutograd kernel serves every backend.
#include "rebalance/resampling/cluster_centroids.h"
#include "rebalance/resampling/kmeans.h"
#include "rebalance/resampling/knn.h"
#include "rebalance/resampling/over_sampling.h"
#include "rebalance/resampling/sampling_strategy.h"
#include "rebalance/resampling/under_sampling.h"

#include <torch/library.h>

#define REBALANCE_STRATEGY_ARGS "str strategy=\"auto\", float ratio=-1, Tensor? counts=None"
#define REBALANCE_BUDGET_ARG "int memory_budget=67108864"

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("knn(Tensor query, Tensor reference, int k, bool exclude_self=False, " REBALANCE_BUDGET_ARG
        ") -> (Tensor, Tensor)");
  m.def("sampling_strategy(Tensor y, str sampling_type, " REBALANCE_STRATEGY_ARGS
        ", int num_classes=-1) -> Tensor");
  m.def("random_under_sampler(Tensor y, " REBALANCE_STRATEGY_ARGS
        ", bool replacement=False, int seed=0) -> Tensor");
  m.def("random_over_sampler(Tensor y, " REBALANCE_STRATEGY_ARGS ", int seed=0) -> Tensor");
  m.def("tomek_links(Tensor x, Tensor y, str strategy=\"auto\", Tensor? counts=None, "
        REBALANCE_BUDGET_ARG ") -> Tensor");
  m.def("edited_nearest_neighbours(Tensor x, Tensor y, str strategy=\"auto\", "
        "Tensor? counts=None, int n_neighbors=3, str kind_sel=\"all\", " REBALANCE_BUDGET_ARG
        ") -> Tensor");
  m.def("near_miss(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS ", int n_neighbors=3, "
        REBALANCE_BUDGET_ARG ") -> Tensor");
  m.def("smote(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS ", int k_neighbors=5, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor)");
  m.def("adasyn(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS ", int n_neighbors=5, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor)");
  m.def("smote_tomek(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS
        ", int k_neighbors=5, int seed=0, " REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor, Tensor)");
  m.def("kmeans(Tensor x, int n_clusters, int max_iter=300, float tol=1e-4, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor, Tensor)");
  m.def("cluster_centroids(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS
        ", str voting=\"soft\", int max_iter=300, float tol=1e-4, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("knn", &rebalance::detail::knn_kernel);
  m.impl("sampling_strategy", &rebalance::sampling_strategy);
  m.impl("random_under_sampler", &rebalance::random_under_sampler);
  m.impl("random_over_sampler", &rebalance::random_over_sampler);
  m.impl("tomek_links", &rebalance::tomek_links);
  m.impl("edited_nearest_neighbours", &rebalance::edited_nearest_neighbours);
  m.impl("near_miss", &rebalance::near_miss);
  m.impl("smote", &rebalance::smote);
  m.impl("adasyn", &rebalance::adasyn);
  m.impl("smote_tomek", &rebalance::smote_tomek);
  m.impl("kmeans", &rebalance::kmeans);
  m.impl("cluster_centroids", &rebalance::cluster_centroids);
}
