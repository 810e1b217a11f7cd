#pragma once

#include <ATen/ATen.h>

namespace rebalance {
namespace resampling {

/// out = alpha · a · bᵀ. a: m × k, b: n × k, out: m × n, one floating dtype, one device; out is
/// overwritten (its contents are not read). One at::addmm call (BLAS on the CPU: setup.sh
/// installs OpenBLAS, since Debian's libtorch otherwise runs on the reference BLAS).
void gemm_nt(const at::Tensor& a, const at::Tensor& b, at::Tensor& out, double alpha = 1.0);

} // namespace resampling
} // namespace rebalance
