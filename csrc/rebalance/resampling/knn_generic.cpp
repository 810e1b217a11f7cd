// The device-agnostic search of knn: ATen tensor ops only, every tensor on the input's device.
#include "rebalance/resampling/knn.h"

#include <algorithm>
#include <limits>

namespace rebalance {
namespace detail {
namespace {

// Exact squared distances of one query row (1 × d) to every reference, in float64, references
// in chunks of about `budget` bytes; `skip` (or -1) gets +inf.
at::Tensor exact_row(const at::Tensor& q_row, const at::Tensor& r, int64_t skip, int64_t budget) {
  const int64_t nr = r.size(0), d = r.size(1);
  const int64_t chunk = std::max<int64_t>(1, budget / (8 * std::max<int64_t>(1, d)));
  const auto q64 = q_row.to(at::kDouble);
  auto out = at::empty({nr}, q_row.options().dtype(at::kDouble));
  for (int64_t r0 = 0; r0 < nr; r0 += chunk) {
    const int64_t n = std::min(chunk, nr - r0);
    out.narrow(0, r0, n).copy_((r.narrow(0, r0, n).to(at::kDouble) - q64).pow(2).sum(1));
  }
  if (skip >= 0) {
    out.narrow(0, skip, 1).fill_(std::numeric_limits<double>::infinity());
  }
  return out;
}

} // namespace

void knn_generic(const KnnProblem& p, at::Tensor& out_d, at::Tensor& out_i) {
  const auto& q = p.q;
  const auto& r = p.r;
  const int64_t nq = q.size(0), nr = r.size(0), d = q.size(1), k = p.k, m = p.m;
  const int64_t available = nr - (p.self.defined() ? 1 : 0);
  // The GEMM output block (q × r values) takes half of the budget.
  const int64_t block_r = std::max<int64_t>(
      1, std::min<int64_t>({nr, 2048, std::max<int64_t>(16, p.memory_budget / (2 * 8 * 64))}));
  const int64_t block_q =
      std::max<int64_t>(1, std::min<int64_t>(nq, p.memory_budget / (2 * 8 * block_r)));
  const auto rnorm = r.pow(2).sum(1);
  const double u = unit_roundoff(q);
  const double rmax2 = rnorm.max().item<double>() * (1 + 2 * (d + 2) * u);
  const auto inf = std::numeric_limits<double>::infinity();
  const auto long_opts = q.options().dtype(at::kLong);
  for (int64_t q0 = 0; q0 < nq; q0 += block_q) {
    const int64_t rows = std::min(block_q, nq - q0);
    const auto qb = q.narrow(0, q0, rows);
    const auto self_b = p.self.defined() ? p.self.narrow(0, q0, rows).unsqueeze(1) : at::Tensor();
    auto cv = at::empty({rows, 0}, q.options());
    auto ci = at::empty({rows, 0}, long_opts);
    for (int64_t r0 = 0; r0 < nr; r0 += block_r) {
      const int64_t cols = std::min(block_r, nr - r0);
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
    auto best_d = std::get<0>(by_dist).narrow(1, 0, k);
    auto best_i = std::get<0>(by_index).gather(1, std::get<1>(by_dist).narrow(1, 0, k));
    if (cv.size(1) < available) {
      // The proof of knn_cpu's refine: rows it fails are measured against every reference.
      const auto qn = qb.to(at::kDouble).pow(2).sum(1);
      const auto bound = (qn.sqrt() + std::sqrt(rmax2)).pow(2) * (2.0 * (d + 2) * u);
      const auto proven = cv.select(1, cv.size(1) - 1).to(at::kDouble) + qn - bound >
                          best_d.select(1, k - 1);
      const auto redo = (~proven).nonzero().squeeze(1).to(at::kCPU);
      const auto self_cpu = p.self.defined() ? p.self.to(at::kCPU) : at::Tensor();
      for (int64_t t = 0; t < redo.numel(); ++t) {
        const int64_t i = redo[t].item<int64_t>();
        const int64_t skip = self_cpu.defined() ? self_cpu[q0 + i].item<int64_t>() : -1;
        const auto all = exact_row(qb.narrow(0, i, 1), r, skip, p.memory_budget)
                             .sort(/*stable=*/true, 0, false);
        best_d[i].copy_(std::get<0>(all).narrow(0, 0, k));
        best_i[i].copy_(std::get<1>(all).narrow(0, 0, k));
      }
    }
    out_d.narrow(0, q0, rows).copy_(best_d);
    out_i.narrow(0, q0, rows).copy_(best_i);
  }
}

} // namespace detail
} // namespace rebalance
