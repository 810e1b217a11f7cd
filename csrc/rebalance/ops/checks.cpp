#include "rebalance/ops/checks.h"

#include <torch/library.h>

#include <atomic>

namespace rebalance {
namespace {

std::atomic<bool>& checks_flag() {
  static std::atomic<bool> flag{true};
  return flag;
}

} // namespace

bool checks_enabled() { return checks_flag().load(std::memory_order_relaxed); }

bool set_checks_enabled(bool enabled) {
  return checks_flag().exchange(enabled, std::memory_order_relaxed);
}

} // namespace rebalance

// The switch as ops, so that Python and TorchScript can flip it. Side effects: alias analysis
// must not drop or reorder the calls.
TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def(torch::schema("set_checks_enabled(bool enabled) -> bool",
                      c10::AliasAnalysisKind::CONSERVATIVE),
        &rebalance::set_checks_enabled);
  m.def(torch::schema("checks_enabled() -> bool", c10::AliasAnalysisKind::CONSERVATIVE),
        &rebalance::checks_enabled);
}
