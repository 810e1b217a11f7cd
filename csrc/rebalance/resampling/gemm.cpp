#include "rebalance/resampling/gemm.h"

namespace rebalance {
namespace resampling {

void gemm_nt(const at::Tensor& a, const at::Tensor& b, at::Tensor& out, double alpha) {
  // beta = 0: out's previous contents (even NaN) are ignored.
  at::addmm_out(out, out, a, b.t(), /*beta=*/0, /*alpha=*/alpha);
}

} // namespace resampling
} // namespace rebalance
