#include "rebalance/ops/cpu/capability.h"

#include <cstdlib>
#include <cstring>

namespace rebalance {
namespace cpu {

bool use_avx2() {
#if REBALANCE_HAVE_AVX2 && (defined(__x86_64__) || defined(_M_X64))
  // REBALANCE_CPU_CAPABILITY=default forces the portable kernels (for testing both builds).
  static const bool enabled = [] {
    const char* forced = std::getenv("REBALANCE_CPU_CAPABILITY");
    if (forced != nullptr && std::strcmp(forced, "default") == 0) return false;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return enabled;
#else
  return false;
#endif
}

} // namespace cpu
} // namespace rebalance
