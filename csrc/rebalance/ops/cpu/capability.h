#pragma once

namespace rebalance {
namespace cpu {

/// Instruction sets the CPU kernels are built for (namespaces rebalance::cpu::DEFAULT, ::AVX2
/// and ::AVX512, one object file each).
enum class Capability { Default, AVX2, AVX512 };

/// The widest build this processor runs. REBALANCE_CPU_CAPABILITY=default|avx2 in the
/// environment caps it (to test or compare the builds).
Capability cpu_capability();

} // namespace cpu
} // namespace rebalance

/// In the DEFAULT build of a *_kernel.cpp (inside namespace rebalance::cpu):
/// REBALANCE_CPU_DISPATCH_DECLARE(ret, fn, param types...) declares the other builds of `fn`,
/// and REBALANCE_CPU_DISPATCH_CALL(fn, args...) in the entry point returns the call of the
/// build that cpu_capability() picks.
#if REBALANCE_HAVE_AVX512
#define REBALANCE_CPU_DISPATCH_DECLARE(ret, fn, ...) \
  namespace AVX512 { ret fn(__VA_ARGS__); }          \
  namespace AVX2 { ret fn(__VA_ARGS__); }
#define REBALANCE_CPU_DISPATCH_CALL(fn, ...)                                      \
  switch (::rebalance::cpu::cpu_capability()) {                                   \
    case ::rebalance::cpu::Capability::AVX512: return AVX512::fn(__VA_ARGS__);    \
    case ::rebalance::cpu::Capability::AVX2: return AVX2::fn(__VA_ARGS__);        \
    default: return DEFAULT::fn(__VA_ARGS__);                                     \
  }
#else
#define REBALANCE_CPU_DISPATCH_DECLARE(ret, fn, ...)
#define REBALANCE_CPU_DISPATCH_CALL(fn, ...) return DEFAULT::fn(__VA_ARGS__);
#endif
