#include "rebalance/resampling/knn.h"

#include "rebalance/errors.h"
#include "rebalance/resampling/device_path.h"

#include <c10/core/GradMode.h>
#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cmath>
#include "rebalance/resampling/schema_args.h"
#include <torch/library.h>

namespace rebalance {

std::tuple<at::Tensor, at::Tensor> knn(const at::Tensor& query, const at::Tensor& reference,
                                       int64_t k, bool exclude_self, int64_t memory_budget) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::knn", "")
                       .typed<decltype(knn)>();
  return op.call(query, reference, k, exclude_self, memory_budget);
}

namespace detail {
namespace {
constexpr const char* kOp = "knn";
// Candidates kept beyond k: more means fewer unproven queries on near-ties, fewer means fewer
// list updates in the scan.
constexpr int64_t kExtraCandidates = 3;
} // namespace

double approx_error(double qnorm2, double rmax2, int64_t d, double u) {
  const double s = std::sqrt(qnorm2) + std::sqrt(rmax2);
  // Each of the 2d + 4 roundings may also lose up to the smallest normal number to underflow
  // (flush-to-zero included): 2^-126 (float32), 2^-1022 (float64).
  const double tiny = u < 0x1p-30 ? 0x1p-1022 : 0x1p-126;
  return 2.0 * static_cast<double>(d + 2) * (u * s * s + tiny);
}

double unit_roundoff(const at::Tensor& q) {
  if (q.scalar_type() == at::kDouble) {
    return std::ldexp(1.0, -53);
  }
  const bool tf32 = q.device().is_cuda() && at::globalContext().allowTF32CuBLAS();
  return std::ldexp(1.0, tf32 ? -11 : -24);
}

std::tuple<at::Tensor, at::Tensor> knn_impl(const at::Tensor& query, const at::Tensor& reference,
                                            int64_t k, const at::Tensor& self_index,
                                            int64_t memory_budget, bool generic, bool symmetric) {
  resampling::check_features(kOp, query);
  if (!reference.is_same(query)) {
    resampling::check_features(kOp, reference);
  }
  resampling::check_neighbors(kOp, "k", k);
  resampling::check_budget(kOp, memory_budget);
  TORCH_CHECK_VALUE(query.size(1) == reference.size(1), kOp,
                    ": query and reference must have the same number of columns, got ",
                    query.size(1), " and ", reference.size(1));
  TORCH_CHECK_VALUE(query.device() == reference.device(), kOp, ": reference must be on ",
                    query.device(), ", got ", reference.device());
  TORCH_CHECK_TYPE(query.scalar_type() == reference.scalar_type(), kOp,
                   ": reference must have the dtype of query (", query.scalar_type(), "), got ",
                   reference.scalar_type());
  const bool has_self = self_index.defined();
  const int64_t nq = query.size(0), nr = reference.size(0);
  const int64_t available = nr - (has_self ? 1 : 0);
  TORCH_CHECK_VALUE(k <= available, kOp, ": k must be at most the number of reference rows",
                    has_self ? " minus one (self excluded)" : "", " (", available, "), got ", k);
  c10::NoGradGuard no_grad;
  // float32 squared norms that would overflow or underflow break the rounding bound of the
  // proof: such data is searched in float64 (scaled by a power of two if float64 would too).
  const auto scale = resampling::distance_scale(query, reference);
  const auto dev = query.device();
  const auto q = resampling::apply_scale(query, scale).contiguous();
  const auto r = reference.is_same(query) ? q : resampling::apply_scale(reference, scale).contiguous();
  KnnProblem p{q, r, has_self ? self_index.to(dev, at::kLong).contiguous() : at::Tensor(), k,
               std::min<int64_t>(available, k + kExtraCandidates), memory_budget,
               symmetric && has_self && query.is_same(reference)};
  check_allocation(kOp, "k neighbours for every query row (rows × k)",
                   checked_mul(kOp, "rows × k", nq, k), 16);
  auto out_d = at::empty({nq, k}, query.options().dtype(at::kDouble));
  auto out_i = at::empty({nq, k}, query.options().dtype(at::kLong));
  if (nq > 0) {
    if (generic || resampling::use_generic_path(dev)) {
      knn_generic(p, out_d, out_i);
    } else if (!(knn_tree_may_apply(p) && knn_tree(p, out_d, out_i, /*probe=*/true))) {
      knn_cpu(p, out_d, out_i);
    }
  }
  if (scale.exponent != 0) {
    out_d.mul_(std::ldexp(1.0, -scale.exponent)).mul_(std::ldexp(1.0, -scale.exponent));
  }
  return {out_d, out_i};
}

std::tuple<at::Tensor, at::Tensor> knn_for(const char* op, const at::Tensor& query,
                                           const at::Tensor& reference, int64_t k,
                                           const at::Tensor& self_index, int64_t memory_budget,
                                           bool generic, bool symmetric) {
  return with_errors_named(op, kOp, [&] {
    return knn_impl(query, reference, k, self_index, memory_budget, generic, symmetric);
  });
}

std::tuple<at::Tensor, at::Tensor> knn_kernel(const at::Tensor& query,
                                              const at::Tensor& reference, int64_t k,
                                              bool exclude_self, int64_t memory_budget) {
  at::Tensor self;
  if (exclude_self) {
    TORCH_CHECK_VALUE(query.dim() == 2 && reference.dim() == 2 &&
                          query.size(0) == reference.size(0),
                      kOp, ": exclude_self needs query and reference with the same rows, got ",
                      query.sizes(), " and ", reference.sizes());
    self = at::arange(query.size(0), query.options().dtype(at::kLong));
  }
  auto out = knn_impl(query, reference, k, self, memory_budget, /*generic=*/false,
                      /*symmetric=*/exclude_self);
  return {std::get<0>(out).to(query.scalar_type()), std::get<1>(out)};
}

std::tuple<at::Tensor, at::Tensor> knn_meta(const at::Tensor& query, const at::Tensor& reference,
                                            int64_t k, bool exclude_self, int64_t memory_budget) {
  TORCH_CHECK_VALUE(query.dim() == 2 && reference.dim() == 2, kOp,
                    ": query and reference must be 2-D, got ", query.sym_sizes(), " and ",
                    reference.sym_sizes());
  TORCH_CHECK_VALUE(k >= 1, kOp, ": k must be >= 1, got ", k);
  const c10::SymInt rows = query.sym_size(0);
  return {at::empty_symint({rows, k}, query.options()),
          at::empty_symint({rows, k}, query.options().dtype(at::kLong))};
}

} // namespace detail
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("knn(Tensor query, Tensor reference, int k, bool exclude_self=False, " REBALANCE_BUDGET_ARG
        ") -> (Tensor, Tensor)");
}

// A composition of ATen ops on the inputs' device with no gradient: one kernel for every backend.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("knn", &rebalance::detail::knn_kernel);
}

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("knn", &rebalance::detail::knn_meta);
}
