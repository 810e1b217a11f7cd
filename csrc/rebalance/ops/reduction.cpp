#include "rebalance/ops/reduction.h"

#include <c10/util/Exception.h>

#include <string>

namespace rebalance {

Reduction parse_reduction(rebalance::string_view op, rebalance::string_view reduction) {
  if (reduction == "none") return Reduction::None;
  if (reduction == "mean") return Reduction::Mean;
  if (reduction == "sum") return Reduction::Sum;
  TORCH_CHECK_VALUE(false, std::string(op), ": reduction must be 'none', 'mean' or 'sum', got '",
                    std::string(reduction), "'");
}

} // namespace rebalance
