// The process-wide switch of the operators' data-dependent input checks
// (rebalance/ops/checks.h), as ops so that Python and TorchScript can flip it.
#include "rebalance/ops/checks.h"

#include <torch/library.h>

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  // Side effects: alias analysis must not drop or reorder the calls.
  m.def(torch::schema("set_checks_enabled(bool enabled) -> bool",
                      c10::AliasAnalysisKind::CONSERVATIVE),
        &rebalance::set_checks_enabled);
  m.def(torch::schema("checks_enabled() -> bool", c10::AliasAnalysisKind::CONSERVATIVE),
        &rebalance::checks_enabled);
}
