#include "rebalance/resampling/device_path.h"

#include <cstdlib>
#include <cstring>

namespace rebalance {
namespace resampling {

bool use_generic_path(const c10::Device& device) {
  if (!device.is_cpu()) {
    return true;
  }
  const char* env = std::getenv("REBALANCE_RESAMPLING_GENERIC");
  return env != nullptr && std::strcmp(env, "1") == 0;
}

} // namespace resampling
} // namespace rebalance
