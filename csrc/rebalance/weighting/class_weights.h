#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <string>
#include <vector>

namespace rebalance {

/// Static per-class loss weights from class statistics (op rebalance::class_weights).
/// counts: (C,) non-negative sample counts N_c (integer or floating). For the classes with
/// N_c > 0 the raw weight r_c is, by method:
///   "inverse"           1 / N_c
///   "inverse_power"     N_c^(-power)                       (power = 0.5: square root)
///   "effective_number"  (1 - beta) / (1 - beta^N_c)        (Cui et al. 2019), 0 <= beta < 1
///   "median_frequency"  median(N) / N_c  (median over the N_c > 0, mean of the two middle
///                       values for an even number of classes; Eigen & Fergus 2015)
///   "cost"              sum_{j != c} M[c, j]: the total cost of misclassifying a sample of
///                       class c, from cost_matrix M (C × C, M[t, p] = cost of predicting p
///                       for true class t, non-negative; the diagonal is ignored)
///   "cluster"           K_c / N_c with K_c = clusters_per_class[c] (C,) >= 0: samples of a
///                       class made of more sub-concepts (clusters) weigh more
/// Classes with N_c = 0 get weight 0 and a warning. With normalize (default) the weights are
/// scaled to sum to C, so "median_frequency" then equals "inverse"; without it they are r_c.
/// Returns (C,) on counts' device, in counts' dtype when it is floating, else the default dtype.
/// Errors (ValueError): negative or non-finite counts, unknown method, bad power/beta, a missing
/// or malformed cost_matrix / clusters_per_class, all raw weights 0.
at::Tensor class_weights(const at::Tensor& counts, rebalance::string_view method, double power = 0.5,
                         double beta = 0.999,
                         const rebalance::optional<at::Tensor>& cost_matrix = rebalance::nullopt,
                         const rebalance::optional<at::Tensor>& clusters_per_class = rebalance::nullopt,
                         bool normalize = true);

/// The methods class_weights accepts: "inverse", "inverse_power", "effective_number",
/// "median_frequency", "cost", "cluster".
const std::vector<std::string>& class_weight_methods();

namespace detail {

/// dtype of weights computed from `counts`: theirs when floating point, else the default dtype.
at::ScalarType weight_dtype(const at::Tensor& counts);

/// Implementation of rebalance::class_weights (composite ATen code, any device).
at::Tensor class_weights_impl(const at::Tensor& counts, rebalance::string_view method, double power,
                              double beta, const rebalance::optional<at::Tensor>& cost_matrix,
                              const rebalance::optional<at::Tensor>& clusters_per_class,
                              bool normalize);

/// Checks a (C,) tensor of per-class non-negative, finite numbers for `op`; returns it as a
/// float64 CPU tensor. `what` names the argument in the error.
at::Tensor checked_per_class(const char* op, const char* what, const at::Tensor& values,
                             int64_t num_classes);

} // namespace detail
} // namespace rebalance
