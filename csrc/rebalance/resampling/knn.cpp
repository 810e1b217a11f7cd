#include "rebalance/resampling/knn.h"

#include "rebalance/resampling/gemm.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

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

struct Blocks {
  int64_t q;
  int64_t r;
};

// The GEMM output block (q × r values) takes half of the budget; the rest covers the
// candidate lists and the exact re-measurement.
Blocks block_sizes(int64_t nq, int64_t nr, int64_t elem, int64_t budget) {
  const int64_t r = std::max<int64_t>(
      1, std::min<int64_t>({nr, 2048, std::max<int64_t>(16, budget / (2 * elem * 64))}));
  const int64_t q = std::max<int64_t>(1, std::min<int64_t>(nq, budget / (2 * elem * r)));
  return {q, r};
}

// Keeps, per query row, the m smallest values ||r_j||² − 2 q·r_j (vals holds −2 q·r_j) seen so
// far, sorted by (value, index). Reference blocks arrive in ascending index order, so a value
// equal to the current worst never enters: the lower index already holds it.
template <typename scalar_t>
void scan_block(const scalar_t* vals, const scalar_t* rnorm, int64_t rows, int64_t cols,
                int64_t r0, const int64_t* self, scalar_t* cv, int64_t* ci, int64_t* cnt,
                int64_t m) {
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const scalar_t* v = vals + i * cols;
      scalar_t* bv = cv + i * m;
      int64_t* bi = ci + i * m;
      int64_t n = cnt[i];
      const int64_t skip = self != nullptr ? self[i] - r0 : -1;
      scalar_t worst = n == m ? bv[m - 1] : std::numeric_limits<scalar_t>::infinity();
      for (int64_t j = 0; j < cols; ++j) {
        const scalar_t x = v[j] + rnorm[j];
        if ((n == m && !(x < worst)) || j == skip) {
          continue;
        }
        int64_t p = n < m ? n : m - 1;
        while (p > 0 && bv[p - 1] > x) {
          bv[p] = bv[p - 1];
          bi[p] = bi[p - 1];
          --p;
        }
        bv[p] = x;
        bi[p] = r0 + j;
        if (n < m) {
          ++n;
        }
        if (n == m) {
          worst = bv[m - 1];
        }
      }
      cnt[i] = n;
    }
  });
}

// Re-measures the candidates exactly (float64 sum of squared differences) and keeps the k
// smallest by (distance, index).
template <typename scalar_t>
void refine(const scalar_t* q, const scalar_t* r, int64_t d, int64_t rows, const int64_t* ci,
            const int64_t* cnt, int64_t m, int64_t k, double* out_d, int64_t* out_i) {
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> c(m);
    for (int64_t i = begin; i < end; ++i) {
      const scalar_t* qi = q + i * d;
      const int64_t n = cnt[i];
      for (int64_t t = 0; t < n; ++t) {
        const scalar_t* rj = r + ci[i * m + t] * d;
        double s = 0;
        for (int64_t f = 0; f < d; ++f) {
          const double diff = static_cast<double>(qi[f]) - static_cast<double>(rj[f]);
          s += diff * diff;
        }
        c[t] = {s, ci[i * m + t]};
      }
      std::partial_sort(c.begin(), c.begin() + k, c.begin() + n);
      for (int64_t t = 0; t < k; ++t) {
        out_d[i * k + t] = c[t].first;
        out_i[i * k + t] = c[t].second;
      }
    }
  });
}

void knn_cpu(const at::Tensor& q, const at::Tensor& r, int64_t k, const at::Tensor& self,
             int64_t m, Blocks blocks, at::Tensor& out_d, at::Tensor& out_i) {
  const int64_t nq = q.size(0), nr = r.size(0), d = q.size(1);
  const auto rnorm = r.pow(2).sum(1);
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "knn_cpu", [&] {
    auto buf = at::empty({blocks.q * blocks.r}, q.options());
    auto cv = at::empty({blocks.q * m}, q.options());
    auto ci = at::empty({blocks.q * m}, q.options().dtype(at::kLong));
    std::vector<int64_t> cnt(blocks.q);
    for (int64_t q0 = 0; q0 < nq; q0 += blocks.q) {
      const int64_t rows = std::min(blocks.q, nq - q0);
      const auto qb = q.narrow(0, q0, rows);
      std::fill(cnt.begin(), cnt.end(), 0);
      const int64_t* self_p = self.defined() ? self.data_ptr<int64_t>() + q0 : nullptr;
      for (int64_t r0 = 0; r0 < nr; r0 += blocks.r) {
        const int64_t cols = std::min(blocks.r, nr - r0);
        auto vals = buf.narrow(0, 0, rows * cols).view({rows, cols});
        resampling::gemm_nt(qb, r.narrow(0, r0, cols), vals, -2.0);
        scan_block<scalar_t>(vals.data_ptr<scalar_t>(), rnorm.data_ptr<scalar_t>() + r0, rows,
                             cols, r0, self_p,
                             cv.data_ptr<scalar_t>(), ci.data_ptr<int64_t>(), cnt.data(), m);
      }
      for (int64_t i = 0; i < rows; ++i) {
        TORCH_CHECK_VALUE(cnt[i] >= k, kOp, ": found only ", cnt[i],
                          " finite candidates for query ", q0 + i, ", need k = ", k);
      }
      refine<scalar_t>(qb.data_ptr<scalar_t>(), r.data_ptr<scalar_t>(), d, rows,
                       ci.data_ptr<int64_t>(), cnt.data(), m, k,
                       out_d.data_ptr<double>() + q0 * k, out_i.data_ptr<int64_t>() + q0 * k);
    }
  });
}

// Same result through tensor ops only (any device): stable sorts keep the lower index first.
void knn_generic(const at::Tensor& q, const at::Tensor& r, int64_t k, const at::Tensor& self,
                 int64_t m, Blocks blocks, at::Tensor& out_d, at::Tensor& out_i) {
  const int64_t nq = q.size(0), nr = r.size(0), d = q.size(1);
  const auto rnorm = r.pow(2).sum(1);
  const auto inf = std::numeric_limits<double>::infinity();
  const auto long_opts = q.options().dtype(at::kLong);
  for (int64_t q0 = 0; q0 < nq; q0 += blocks.q) {
    const int64_t rows = std::min(blocks.q, nq - q0);
    const auto qb = q.narrow(0, q0, rows);
    const auto self_b = self.defined() ? self.narrow(0, q0, rows).unsqueeze(1) : at::Tensor();
    auto cv = at::empty({rows, 0}, q.options());
    auto ci = at::empty({rows, 0}, long_opts);
    for (int64_t r0 = 0; r0 < nr; r0 += blocks.r) {
      const int64_t cols = std::min(blocks.r, nr - r0);
      auto vals = at::addmm(rnorm.narrow(0, r0, cols).unsqueeze(0), qb,
                            r.narrow(0, r0, cols).t(), 1, -2);
      const auto idx = at::arange(r0, r0 + cols, long_opts).unsqueeze(0).expand({rows, cols});
      if (self_b.defined()) {
        vals.masked_fill_(idx == self_b, inf);
      }
      const auto all_v = at::cat({cv, vals}, 1);
      const auto all_i = at::cat({ci, idx}, 1);
      const auto sorted = all_v.sort(/*stable=*/true, 1, false);
      const int64_t keep = std::min<int64_t>(m, all_v.size(1));
      cv = std::get<0>(sorted).narrow(1, 0, keep);
      ci = all_i.gather(1, std::get<1>(sorted).narrow(1, 0, keep));
    }
    auto dist = (qb.unsqueeze(1).to(at::kDouble) -
                 r.index_select(0, ci.reshape(-1)).view({rows, ci.size(1), d}).to(at::kDouble))
                    .pow(2)
                    .sum(2);
    if (self_b.defined()) {
      dist.masked_fill_(ci == self_b, inf);
    }
    const auto by_index = ci.sort(1);
    const auto by_dist = dist.gather(1, std::get<1>(by_index)).sort(/*stable=*/true, 1, false);
    out_d.narrow(0, q0, rows).copy_(std::get<0>(by_dist).narrow(1, 0, k));
    out_i.narrow(0, q0, rows)
        .copy_(std::get<0>(by_index).gather(1, std::get<1>(by_dist).narrow(1, 0, k)));
  }
}

} // namespace

std::tuple<at::Tensor, at::Tensor> knn_impl(const at::Tensor& query, const at::Tensor& reference,
                                            int64_t k, const at::Tensor& self_index,
                                            int64_t memory_budget, bool generic) {
  resampling::check_features(kOp, query);
  resampling::check_features(kOp, reference);
  resampling::check_neighbors(kOp, "k", k);
  resampling::check_budget(kOp, memory_budget);
  TORCH_CHECK_VALUE(query.size(1) == reference.size(1), kOp,
                    ": query and reference must have the same number of columns, got ",
                    query.size(1), " and ", reference.size(1));
  TORCH_CHECK_VALUE(query.device() == reference.device(), kOp, ": reference must be on ",
                    query.device(), ", got ", reference.device());
  const bool has_self = self_index.defined();
  const int64_t nq = query.size(0), nr = reference.size(0);
  const int64_t available = nr - (has_self ? 1 : 0);
  TORCH_CHECK_VALUE(k <= available, kOp, ": k must be at most the number of reference rows",
                    has_self ? " minus one (self excluded)" : "", " (", available, "), got ", k);
  at::NoGradGuard no_grad;
  const auto ct = query.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const auto q = query.to(ct).contiguous();
  const auto r = reference.to(ct).contiguous();
  const int64_t m = std::min<int64_t>(available, k + std::max<int64_t>(k, 8));
  const auto blocks = block_sizes(nq, nr, at::elementSize(ct), memory_budget);
  const auto dev = query.device();
  auto self = has_self ? self_index.to(dev, at::kLong).contiguous() : at::Tensor();
  auto out_d = at::empty({nq, k}, query.options().dtype(at::kDouble));
  auto out_i = at::empty({nq, k}, query.options().dtype(at::kLong));
  if (nq > 0) {
    if (generic || !dev.is_cpu()) {
      knn_generic(q, r, k, self, m, blocks, out_d, out_i);
    } else {
      knn_cpu(q, r, k, self, m, blocks, out_d, out_i);
    }
  }
  return {out_d, out_i};
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
  auto out = knn_impl(query, reference, k, self, memory_budget, /*generic=*/false);
  return {std::get<0>(out).to(query.scalar_type()), std::get<1>(out)};
}

} // namespace detail
} // namespace rebalance
