// The CPU search of knn: candidate lists from the fused float32 kernel (ops/cpu/knn_kernel) or,
// for float64, from GEMM blocks and a scan; then the exact re-measurement with its proof.
#include "rebalance/resampling/knn.h"

#include "rebalance/ops/cpu/candidate_list.h"
#include "rebalance/ops/cpu/knn_kernel.h"
#include "rebalance/resampling/checks.h"
#include "rebalance/resampling/exact_distance.h"
#include "rebalance/resampling/gemm.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace rebalance {
namespace detail {
namespace {

constexpr const char* kOp = "knn";
// The float32 kernel packs this many bytes of references per pass (half of a 1 MiB L2).
constexpr int64_t kPackedBytes = int64_t{256} << 10;
// Longest candidate list of a repeated search; beyond it unproven queries are measured against
// every reference.
constexpr int64_t kMaxCandidates = 1024;

// Keeps, per query row i, the m smallest values ||r_j||² − 2 q_i·r_j (vals holds −2 q_i·r_j,
// rnorm the ||r_j||² of the block) seen so far, sorted by value. self[i] − r0 is the column row
// i must skip.
void scan_rows(const double* vals, const double* rnorm, int64_t rows, int64_t cols, int64_t r0,
               const int64_t* self, double* cv, int64_t* ci, int64_t* cnt, int64_t m) {
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double* v = vals + i * cols;
      double* bv = cv + i * m;
      int64_t* bi = ci + i * m;
      int64_t n = cnt[i];
      const int64_t skip = self != nullptr ? self[i] - r0 : -1;
      double worst = n == m ? bv[m - 1] : std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < cols; ++j) {
        const double x = v[j] + rnorm[j];
        if (!(x < worst) || j == skip) {
          continue;
        }
        worst = cpu::insert_candidate(bv, bi, n, m, x, r0 + j);
      }
      cnt[i] = n;
    }
  });
}

template <typename scalar_t>
double squared_norm(const scalar_t* a, int64_t d) {
  double s = 0;
  for (int64_t f = 0; f < d; ++f) {
    s += static_cast<double>(a[f]) * static_cast<double>(a[f]);
  }
  return s;
}

// Re-measures each query's candidates exactly and keeps the k smallest by (distance, index).
// Every reference a list does not hold has an approximate value >= the list's worst, so its
// exact distance is >= worst + ||q||² − bound; when that is not above the k-th exact distance
// (near-ties, duplicate rows) the query is marked in `unproven` (its output is not written).
template <typename scalar_t>
void refine(const KnnProblem& p, int64_t q0, int64_t rows, const at::Tensor& cv,
            const at::Tensor& ci, const int64_t* cnt, double rmax2, double* out_d,
            int64_t* out_i, char* unproven) {
  const int64_t d = p.q.size(1), nr = p.r.size(0), m = p.m, k = p.k;
  const int64_t available = nr - (p.self.defined() ? 1 : 0);
  const double u = unit_roundoff(p.q);
  const scalar_t* q = p.q.data_ptr<scalar_t>() + q0 * d;
  const scalar_t* r = p.r.data_ptr<scalar_t>();
  const scalar_t* vals = cv.data_ptr<scalar_t>();
  const int64_t* idx = ci.data_ptr<int64_t>();
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> c;
    for (int64_t i = begin; i < end; ++i) {
      const scalar_t* qi = q + i * d;
      const int64_t n = cnt[i];
      c.resize(n);
      for (int64_t t = 0; t < n; ++t) {
        const int64_t j = idx[i * m + t];
        c[t] = {exact_distance(qi, r + j * d, d), j};
      }
      std::partial_sort(c.begin(), c.begin() + k, c.end());
      bool proven = n < m || n >= available;
      if (!proven) {
        const double qn = squared_norm(qi, d);
        proven = static_cast<double>(vals[i * m + m - 1]) + qn - approx_error(qn, rmax2, d, u) >
                 c[k - 1].first;
      }
      unproven[i] = !proven;
      for (int64_t t = 0; proven && t < k; ++t) {
        out_d[i * k + t] = c[t].first;
        out_i[i * k + t] = c[t].second;
      }
    }
  });
}

// The k nearest of the queries `rows` (indices into p.q) against every reference, exactly.
template <typename scalar_t>
void brute_force(const KnnProblem& p, const std::vector<int64_t>& rows, double* out_d,
                 int64_t* out_i) {
  const int64_t d = p.q.size(1), nr = p.r.size(0), k = p.k;
  const scalar_t* q = p.q.data_ptr<scalar_t>();
  const scalar_t* r = p.r.data_ptr<scalar_t>();
  const int64_t* self = p.self.defined() ? p.self.data_ptr<int64_t>() : nullptr;
  at::parallel_for(0, static_cast<int64_t>(rows.size()), 1, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> c;
    for (int64_t s = begin; s < end; ++s) {
      const int64_t i = rows[s];
      c.clear();
      for (int64_t j = 0; j < nr; ++j) {
        if (self == nullptr || j != self[i]) {
          c.emplace_back(exact_distance(q + i * d, r + j * d, d), j);
        }
      }
      std::partial_sort(c.begin(), c.begin() + k, c.end());
      for (int64_t t = 0; t < k; ++t) {
        out_d[i * k + t] = c[t].first;
        out_i[i * k + t] = c[t].second;
      }
    }
  });
}

// Unproven queries go to the k-d tree where it applies (few features); otherwise they search
// again with four times the candidates (duplicate rows: a list longer than the copies proves the
// order), and past kMaxCandidates measure every reference exactly.
void resolve_unproven(const KnnProblem& p, const std::vector<int64_t>& rows, at::Tensor& out_d,
                      at::Tensor& out_i) {
  if (knn_tree_may_apply(p)) {
    knn_tree_rows(p, rows, out_d, out_i);
    return;
  }
  const int64_t available = p.r.size(0) - (p.self.defined() ? 1 : 0);
  const int64_t m = std::min(available, 4 * p.m);
  if (m < available && m > kMaxCandidates) {
    AT_DISPATCH_FLOATING_TYPES(p.q.scalar_type(), "knn_brute_force", [&] {
      brute_force<scalar_t>(p, rows, out_d.data_ptr<double>(), out_i.data_ptr<int64_t>());
    });
    return;
  }
  const auto idx = resampling::to_tensor(rows);
  const KnnProblem sub{p.q.index_select(0, idx).contiguous(), p.r,
                       p.self.defined() ? p.self.index_select(0, idx) : at::Tensor(), p.k, m,
                       p.memory_budget, false};
  auto d = at::empty({idx.size(0), p.k}, out_d.options());
  auto i = at::empty({idx.size(0), p.k}, out_i.options());
  knn_cpu(sub, d, i);
  out_d.index_copy_(0, idx, d);
  out_i.index_copy_(0, idx, i);
}

void check_found(const int64_t* cnt, int64_t rows, int64_t q0, int64_t k) {
  for (int64_t i = 0; i < rows; ++i) {
    TORCH_CHECK_VALUE(cnt[i] >= k, kOp, ": found only ", cnt[i], " finite candidates for query ",
                      q0 + i, ", need k = ", k);
  }
}

// float64: GEMM blocks (q rows × r cols, half of the budget) scanned row by row.
void candidates_double(const KnnProblem& p, const at::Tensor& qb, const at::Tensor& rnorm,
                       const at::Tensor& self_b, at::Tensor& cv, at::Tensor& ci,
                       at::Tensor& cnt) {
  const int64_t rows = qb.size(0), nr = p.r.size(0);
  const int64_t cols_max = std::max<int64_t>(1, std::min<int64_t>(
                               nr, p.memory_budget / (2 * 8 * std::max<int64_t>(1, rows))));
  auto buf = at::empty({rows * cols_max}, qb.options());
  cnt.zero_();
  for (int64_t r0 = 0; r0 < nr; r0 += cols_max) {
    const int64_t cols = std::min(cols_max, nr - r0);
    auto vals = buf.narrow(0, 0, rows * cols).view({rows, cols});
    resampling::gemm_nt(qb, p.r.narrow(0, r0, cols), vals, -2.0);
    scan_rows(vals.data_ptr<double>(), rnorm.data_ptr<double>() + r0, rows, cols, r0,
              self_b.defined() ? self_b.data_ptr<int64_t>() : nullptr, cv.data_ptr<double>(),
              ci.data_ptr<int64_t>(), cnt.data_ptr<int64_t>(), p.m);
  }
}

} // namespace

void knn_cpu(const KnnProblem& p, at::Tensor& out_d, at::Tensor& out_i) {
  const int64_t nq = p.q.size(0), d = p.q.size(1), m = p.m;
  const bool is_float = p.q.scalar_type() == at::kFloat;
  const auto rnorm = p.r.pow(2).sum(1).contiguous();
  const double rmax2 = p.r.size(0) == 0 ? 0.0
                                         : rnorm.max().item<double>() *
                                               (1 + 2 * (d + 2) * unit_roundoff(p.q));
  const int64_t ref_block = std::max<int64_t>(
      1, std::min(kPackedBytes, p.memory_budget / 4) / (4 * std::max<int64_t>(1, d)));
  // Candidate lists (value, index, count) take at most half of the budget; the symmetric search
  // holds every row's list, so it runs only where they fit.
  const int64_t per_row = m * (p.q.element_size() + 8) + 8;
  const bool symmetric = is_float && p.symmetric && at::get_num_threads() == 1 &&
                         nq * per_row <= p.memory_budget / 2;
  const int64_t rows_max =
      symmetric ? nq : std::max<int64_t>(1, std::min<int64_t>(nq, p.memory_budget / 2 / per_row));
  const auto long_opts = p.q.options().dtype(at::kLong);
  auto cv = at::empty({rows_max, m}, p.q.options());
  auto ci = at::empty({rows_max, m}, long_opts);
  auto cnt = at::empty({rows_max}, long_opts);
  std::vector<char> unproven(rows_max);
  std::vector<int64_t> again;
  for (int64_t q0 = 0; q0 < nq; q0 += rows_max) {
    const int64_t rows = std::min(rows_max, nq - q0);
    const auto qb = p.q.narrow(0, q0, rows);
    const auto self_b = p.self.defined() ? p.self.narrow(0, q0, rows) : at::Tensor();
    auto cv_b = cv.narrow(0, 0, rows), ci_b = ci.narrow(0, 0, rows), cnt_b = cnt.narrow(0, 0, rows);
    if (is_float) {
      cpu::knn_candidates_cpu(qb, p.r, rnorm, self_b, cv_b, ci_b, cnt_b, ref_block, symmetric);
    } else {
      candidates_double(p, qb, rnorm, self_b, cv_b, ci_b, cnt_b);
    }
    check_found(cnt_b.data_ptr<int64_t>(), rows, q0, p.k);
    AT_DISPATCH_FLOATING_TYPES(p.q.scalar_type(), "knn_cpu", [&] {
      refine<scalar_t>(p, q0, rows, cv_b, ci_b, cnt_b.data_ptr<int64_t>(), rmax2,
                       out_d.data_ptr<double>() + q0 * p.k, out_i.data_ptr<int64_t>() + q0 * p.k,
                       unproven.data());
    });
    for (int64_t i = 0; i < rows; ++i) {
      if (unproven[i]) {
        again.push_back(q0 + i);
      }
    }
  }
  if (!again.empty()) {
    resolve_unproven(p, again, out_d, out_i);
  }
}

} // namespace detail
} // namespace rebalance
