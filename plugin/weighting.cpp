// Schemas and kernels of class weighting: static class weights and the logit-adjusted
// cross-entropy (DynamicClassWeights: plugin/dynamic_class_weights.cpp).
#include "rebalance/weighting/class_weights.h"
#include "rebalance/weighting/cluster_count.h"
#include "rebalance/weighting/logit_adjusted_cross_entropy.h"

#include <torch/library.h>

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("class_weights(Tensor counts, str method, float power=0.5, float beta=0.999, "
        "Tensor? cost_matrix=None, Tensor? clusters_per_class=None, bool normalize=True) "
        "-> Tensor");
  m.def("count_clusters_per_class(Tensor features, Tensor labels, int num_classes, "
        "int max_clusters=8, float min_improvement=0.5, int seed=0) -> Tensor");
  m.def("log_prior_from_counts(Tensor counts) -> Tensor");
  m.def("logit_adjusted_cross_entropy(Tensor logits, Tensor target, Tensor log_prior, "
        "float tau=1.0, Tensor? class_weight=None, str reduction=\"mean\", "
        "int ignore_index=-100) -> Tensor");
}

TORCH_LIBRARY_IMPL(rebalance, CompositeImplicitAutograd, m) {
  m.impl("class_weights", &rebalance::detail::class_weights_impl);
  m.impl("count_clusters_per_class", &rebalance::count_clusters_per_class);
  m.impl("log_prior_from_counts", &rebalance::log_prior_from_counts);
  m.impl("logit_adjusted_cross_entropy", &rebalance::detail::logit_adjusted_cross_entropy_impl);
}
