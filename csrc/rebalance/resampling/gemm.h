#pragma once

#include <ATen/ATen.h>

namespace rebalance {
namespace resampling {

/// out = alpha · a · bᵀ. a: m × k, b: n × k, out: m × n, one floating dtype, one device; out is
/// overwritten (its contents are not read).
/// On the CPU in float32 this calls oneDNN's dnnl_sgemm when the process already has oneDNN
/// loaded (Debian's libtorch links libdnnl.so.2 while its at::mm uses the reference BLAS, ~30×
/// slower); the environment variable REBALANCE_NO_DNNL_GEMM=1 turns that off. Everything else
/// goes through at::mm.
void gemm_nt(const at::Tensor& a, const at::Tensor& b, at::Tensor& out, double alpha = 1.0);

/// Whether gemm_nt uses oneDNN for CPU float32 in this process.
bool gemm_uses_dnnl();

} // namespace resampling
} // namespace rebalance
