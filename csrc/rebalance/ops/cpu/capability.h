#pragma once

namespace rebalance {
namespace cpu {

/// True when the kernels compiled for AVX2+FMA can run on this processor. The CPU kernels are
/// built once per instruction set (namespaces rebalance::cpu::DEFAULT and ::AVX2).
bool use_avx2();

} // namespace cpu
} // namespace rebalance
