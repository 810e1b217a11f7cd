#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>

namespace rebalance {
namespace detail {

/// Checks an optional per-class weight for `op`: 1-D, floating point, `num_classes` entries,
/// on the device of `like`, and its values finite and non-negative. A weight in host memory has
/// its values checked always (a short loop); one on a device only when `check_values`, since
/// that reads them back to the host (a device-to-host sync; see rebalance/ops/checks.h).
void check_class_weight(const char* op, const rebalance::optional<at::Tensor>& class_weight,
                        int64_t num_classes, const at::Tensor& like, bool check_values = true);

/// Checks a loss's gamma: finite and >= 0.
void check_gamma(const char* op, double gamma);

} // namespace detail
} // namespace rebalance
