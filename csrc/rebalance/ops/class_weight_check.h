#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>

namespace rebalance {
namespace detail {

/// Checks an optional per-class weight for `op`: 1-D, floating point, `num_classes` entries,
/// finite and non-negative, on the device of `like`.
void check_class_weight(const char* op, const rebalance::optional<at::Tensor>& class_weight,
                        int64_t num_classes, const at::Tensor& like);

/// Checks a loss's gamma: finite and >= 0.
void check_gamma(const char* op, double gamma);

} // namespace detail
} // namespace rebalance
