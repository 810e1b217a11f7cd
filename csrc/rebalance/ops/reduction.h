#pragma once

#include "rebalance/compat.h"
#include <c10/util/string_view.h>

namespace rebalance {

/// How a loss reduces its per-element values: "none", "mean" or "sum".
enum class Reduction { None, Mean, Sum };

/// Parses a reduction name; `op` names the caller in the error for anything else.
Reduction parse_reduction(rebalance::string_view op, rebalance::string_view reduction);

} // namespace rebalance
