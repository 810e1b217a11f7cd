#include "rebalance/resampling/knn.h"

#include "rebalance/resampling/gemm.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cmath>
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

// Inserts (x, idx) into a list sorted by value holding n <= m entries (dropping the last when
// full).
template <typename scalar_t>
inline scalar_t insert(scalar_t* bv, int64_t* bi, int64_t& n, int64_t m, scalar_t x, int64_t idx) {
  int64_t p = n < m ? n : m - 1;
  while (p > 0 && bv[p - 1] > x) {
    bv[p] = bv[p - 1];
    bi[p] = bi[p - 1];
    --p;
  }
  bv[p] = x;
  bi[p] = idx;
  if (n < m) {
    ++n;
  }
  return n == m ? bv[m - 1] : std::numeric_limits<scalar_t>::infinity();
}

template <typename scalar_t>
inline scalar_t worst_of(const scalar_t* bv, int64_t n, int64_t m) {
  return n == m ? bv[m - 1] : std::numeric_limits<scalar_t>::infinity();
}

// Almost every candidate loses against the current worst; testing a fixed-size chunk without
// branches lets the compiler vectorise the common case.
constexpr int64_t kChunk = 16;

template <typename scalar_t>
inline bool any_below(const scalar_t* v, const scalar_t* add, scalar_t worst) {
  int below = 0;
  for (int64_t t = 0; t < kChunk; ++t) {
    below |= static_cast<int>(v[t] + add[t] < worst);
  }
  return below != 0;
}

template <typename scalar_t>
inline bool any_below(const scalar_t* v, scalar_t add, const scalar_t* worst) {
  int below = 0;
  for (int64_t t = 0; t < kChunk; ++t) {
    below |= static_cast<int>(v[t] + add < worst[t]);
  }
  return below != 0;
}

// Keeps, per query row i, the m smallest values ||r_j||² − 2 q_i·r_j (vals holds −2 q_i·r_j,
// rnorm the ||r_j||² of the block) seen so far, sorted by (value, index). Candidates reach every
// list in ascending index order, so a value equal to the current worst never enters: the lower
// index already holds it. self[i] − r0 is the column row i must skip.
template <typename scalar_t>
void scan_rows(const scalar_t* vals, const scalar_t* rnorm, int64_t rows, int64_t cols,
               int64_t r0, const int64_t* self, scalar_t* cv, int64_t* ci, int64_t* cnt,
               int64_t m) {
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const scalar_t* v = vals + i * cols;
      scalar_t* bv = cv + i * m;
      int64_t* bi = ci + i * m;
      int64_t n = cnt[i];
      const int64_t skip = self != nullptr ? self[i] - r0 : -1;
      scalar_t worst = worst_of(bv, n, m);
      for (int64_t j0 = 0; j0 < cols; j0 += kChunk) {
        const int64_t j1 = std::min(cols, j0 + kChunk);
        if (j1 - j0 == kChunk && !any_below(v + j0, rnorm + j0, worst)) {
          continue;
        }
        for (int64_t j = j0; j < j1; ++j) {
          const scalar_t x = v[j] + rnorm[j];
          if (x < worst && j != skip) {
            worst = insert(bv, bi, n, m, x, r0 + j);
          }
        }
      }
      cnt[i] = n;
    }
  });
}

// The transposed update of a symmetric block: column j (reference row c0 + j seen as a query)
// takes row i (index q0 + i, norm qnorm[i]) as a candidate.
template <typename scalar_t>
void scan_cols(const scalar_t* vals, const scalar_t* qnorm, int64_t rows, int64_t cols,
               int64_t q0, scalar_t* cv, int64_t* ci, int64_t* cnt, int64_t m) {
  at::parallel_for(0, cols, 64, [&](int64_t begin, int64_t end) {
    std::vector<scalar_t> worst(end - begin);
    for (int64_t j = begin; j < end; ++j) {
      worst[j - begin] = worst_of(cv + j * m, cnt[j], m);
    }
    for (int64_t i = 0; i < rows; ++i) {
      const scalar_t* v = vals + i * cols;
      const scalar_t add = qnorm[i];
      for (int64_t j0 = begin; j0 < end; j0 += kChunk) {
        const int64_t j1 = std::min(end, j0 + kChunk);
        if (j1 - j0 == kChunk && !any_below(v + j0, add, worst.data() + (j0 - begin))) {
          continue;
        }
        for (int64_t j = j0; j < j1; ++j) {
          const scalar_t x = v[j] + add;
          if (x < worst[j - begin]) {
            worst[j - begin] = insert(cv + j * m, ci + j * m, cnt[j], m, x, q0 + i);
          }
        }
      }
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

void check_found(const int64_t* cnt, int64_t rows, int64_t q0, int64_t k) {
  for (int64_t i = 0; i < rows; ++i) {
    TORCH_CHECK_VALUE(cnt[i] >= k, kOp, ": found only ", cnt[i], " finite candidates for query ",
                      q0 + i, ", need k = ", k);
  }
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
        scan_rows<scalar_t>(vals.data_ptr<scalar_t>(), rnorm.data_ptr<scalar_t>() + r0, rows,
                             cols, r0, self_p,
                             cv.data_ptr<scalar_t>(), ci.data_ptr<int64_t>(), cnt.data(), m);
      }
      check_found(cnt.data(), rows, q0, k);
      refine<scalar_t>(qb.data_ptr<scalar_t>(), r.data_ptr<scalar_t>(), d, rows,
                       ci.data_ptr<int64_t>(), cnt.data(), m, k,
                       out_d.data_ptr<double>() + q0 * k, out_i.data_ptr<int64_t>() + q0 * k);
    }
  });
}

// Query set == reference set, self excluded: one GEMM per block pair (I <= J) serves the rows
// of block I (scan_rows) and, transposed, those of block J (scan_cols), halving the GEMM work.
// Every list stays in memory (n × m candidates).
void knn_cpu_symmetric(const at::Tensor& q, int64_t k, int64_t m, int64_t memory_budget,
                       at::Tensor& out_d, at::Tensor& out_i) {
  const int64_t n = q.size(0), d = q.size(1);
  const auto rnorm = q.pow(2).sum(1);
  const auto self = at::arange(n, q.options().dtype(at::kLong));
  const int64_t block = std::max<int64_t>(
      1, std::min<int64_t>(n, static_cast<int64_t>(std::sqrt(
                                  static_cast<double>(memory_budget) / (2 * q.element_size())))));
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "knn_cpu_symmetric", [&] {
    auto buf = at::empty({block * block}, q.options());
    auto cv = at::empty({n * m}, q.options());
    auto ci = at::empty({n * m}, q.options().dtype(at::kLong));
    std::vector<int64_t> cnt(n, 0);
    auto* pv = cv.data_ptr<scalar_t>();
    auto* pi = ci.data_ptr<int64_t>();
    const auto* pn = rnorm.data_ptr<scalar_t>();
    for (int64_t i0 = 0; i0 < n; i0 += block) {
      const int64_t rows = std::min(block, n - i0);
      const auto qi = q.narrow(0, i0, rows);
      for (int64_t j0 = i0; j0 < n; j0 += block) {
        const int64_t cols = std::min(block, n - j0);
        auto vals = buf.narrow(0, 0, rows * cols).view({rows, cols});
        resampling::gemm_nt(qi, q.narrow(0, j0, cols), vals, -2.0);
        const auto* g = vals.data_ptr<scalar_t>();
        scan_rows<scalar_t>(g, pn + j0, rows, cols, j0, self.data_ptr<int64_t>() + i0,
                            pv + i0 * m, pi + i0 * m, cnt.data() + i0, m);
        if (j0 != i0) {
          scan_cols<scalar_t>(g, pn + i0, rows, cols, i0, pv + j0 * m, pi + j0 * m,
                              cnt.data() + j0, m);
        }
      }
    }
    check_found(cnt.data(), n, 0, k);
    refine<scalar_t>(q.data_ptr<scalar_t>(), q.data_ptr<scalar_t>(), d, n, pi, cnt.data(), m, k,
                     out_d.data_ptr<double>(), out_i.data_ptr<int64_t>());
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
                                            int64_t memory_budget, bool generic, bool symmetric) {
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
    } else if (symmetric && has_self && query.is_same(reference)) {
      knn_cpu_symmetric(q, k, m, memory_budget, out_d, out_i);
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
  auto out = knn_impl(query, reference, k, self, memory_budget, /*generic=*/false,
                      /*symmetric=*/exclude_self);
  return {std::get<0>(out).to(query.scalar_type()), std::get<1>(out)};
}

} // namespace detail
} // namespace rebalance
