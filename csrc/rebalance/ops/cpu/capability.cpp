#include "rebalance/ops/cpu/capability.h"

#include <cstdlib>
#include <cstring>

namespace rebalance {
namespace cpu {
namespace {

Capability detect() {
#if REBALANCE_HAVE_AVX512 && (defined(__x86_64__) || defined(_M_X64))
  const char* cap = std::getenv("REBALANCE_CPU_CAPABILITY");
  const bool allow_avx2 = cap == nullptr || std::strcmp(cap, "default") != 0;
  const bool allow_avx512 = allow_avx2 && (cap == nullptr || std::strcmp(cap, "avx2") != 0);
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (allow_avx512 && has_avx512) return Capability::AVX512;
  if (allow_avx2 && has_avx2) return Capability::AVX2;
#endif
  return Capability::Default;
}

} // namespace

Capability cpu_capability() {
  static const Capability capability = detect();
  return capability;
}

} // namespace cpu
} // namespace rebalance
