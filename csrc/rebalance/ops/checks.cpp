#include "rebalance/ops/checks.h"

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
