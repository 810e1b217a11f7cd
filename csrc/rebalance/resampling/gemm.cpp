#include "rebalance/resampling/gemm.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

namespace rebalance {
namespace resampling {
namespace {

// oneDNN's C API (dnnl.h): row-major C = alpha · op(A) · op(B) + beta · C.
using DnnlSgemm = int (*)(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                          float* c, int64_t ldc);

DnnlSgemm find_dnnl_sgemm() {
  const char* off = std::getenv("REBALANCE_NO_DNNL_GEMM");
  if (off != nullptr && std::strcmp(off, "0") != 0) {
    return nullptr;
  }
  // Only a oneDNN that the process already has (through libtorch), never a second copy.
  void* handle = dlopen("libdnnl.so.2", RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) {
    return nullptr;
  }
  return reinterpret_cast<DnnlSgemm>(dlsym(handle, "dnnl_sgemm"));
}

DnnlSgemm dnnl_sgemm() {
  static const DnnlSgemm fn = find_dnnl_sgemm();
  return fn;
}

} // namespace

bool gemm_uses_dnnl() {
  return dnnl_sgemm() != nullptr;
}

void gemm_nt(const at::Tensor& a, const at::Tensor& b, at::Tensor& out, double alpha) {
  const auto fn = dnnl_sgemm();
  if (fn != nullptr && a.device().is_cpu() && a.scalar_type() == at::kFloat &&
      b.scalar_type() == at::kFloat && out.scalar_type() == at::kFloat && a.is_contiguous() &&
      b.is_contiguous() && out.is_contiguous() && a.size(0) > 0 && b.size(0) > 0 &&
      a.size(1) > 0) {
    const int64_t m = a.size(0), n = b.size(0), k = a.size(1);
    const int status = fn('N', 'T', m, n, k, static_cast<float>(alpha), a.data_ptr<float>(), k,
                          b.data_ptr<float>(), k, 0.0f, out.data_ptr<float>(), n);
    if (status == 0) {
      return;
    }
  }
  at::mm_out(out, a, b.t());
  if (alpha != 1.0) {
    out.mul_(alpha);
  }
}

} // namespace resampling
} // namespace rebalance
