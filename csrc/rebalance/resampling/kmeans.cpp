#include "rebalance/resampling/kmeans.h"

#include "rebalance/ops/cpu/knn_kernel.h"
#include "rebalance/resampling/device_path.h"
#include "rebalance/resampling/gemm.h"

#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include "rebalance/resampling/schema_args.h"
#include <torch/library.h>

namespace rebalance {
namespace detail {

std::tuple<at::Tensor, at::Tensor> nearest_centre(const at::Tensor& x, const at::Tensor& centres,
                                                  int64_t memory_budget) {
  const int64_t n = x.size(0), k = centres.size(0);
  const auto c = centres.contiguous();
  const auto cnorm = c.pow(2).sum(1).unsqueeze(0);
  if (x.scalar_type() == at::kFloat && !resampling::use_generic_path(x.device())) {
    // The fused kNN kernel with a one-entry list: the same GEMM-form values, never in memory.
    const auto xc = x.contiguous();
    auto best = at::empty({n, 1}, x.options());
    auto labels = at::empty({n, 1}, x.options().dtype(at::kLong));
    auto found = at::empty({n}, x.options().dtype(at::kLong));
    const int64_t ref_block = (int64_t{256} << 10) / (4 * std::max<int64_t>(1, x.size(1)));
    cpu::knn_candidates_cpu(xc, c, cnorm.squeeze(0).contiguous(), at::Tensor(), best, labels,
                            found, std::max<int64_t>(1, ref_block), /*symmetric=*/false);
    TORCH_CHECK_VALUE(n == 0 || found.min().item<int64_t>() == 1,
                      "kmeans: squared distances overflow float32");
    return {labels.squeeze(1), (best.squeeze(1) + xc.pow(2).sum(1)).clamp_min(0)};
  }
  const int64_t rows_per_block =
      std::max<int64_t>(1, memory_budget / (2 * std::max<int64_t>(1, k) * x.element_size()));
  auto labels = at::empty({n}, x.options().dtype(at::kLong));
  auto dist = at::empty({n}, x.options());
  for (int64_t r0 = 0; r0 < n; r0 += rows_per_block) {
    const int64_t rows = std::min(rows_per_block, n - r0);
    const auto xb = x.narrow(0, r0, rows).contiguous();
    auto scores = at::empty({rows, k}, x.options());
    resampling::gemm_nt(xb, c, scores, -2.0);
    scores.add_(cnorm);
    const auto best = scores.min(1);
    labels.narrow(0, r0, rows).copy_(std::get<1>(best));
    dist.narrow(0, r0, rows).copy_((std::get<0>(best) + xb.pow(2).sum(1)).clamp_min(0));
  }
  return {labels, dist};
}

} // namespace detail

namespace {

// Squared distances of rows `cand` of x to every row of x: (c × n), GEMM form, clamped at 0.
at::Tensor distances_to(const at::Tensor& x, const at::Tensor& xnorm, const at::Tensor& cand) {
  const auto c = x.index_select(0, cand);
  auto out = at::empty({c.size(0), x.size(0)}, x.options());
  resampling::gemm_nt(c, x, out, -2.0);
  return out.add_(xnorm.unsqueeze(0)).add_(xnorm.index_select(0, cand).unsqueeze(1)).clamp_min(0);
}

// Greedy k-means++ through tensor ops (any device). draws: (k − 1) × trials uniforms.
std::vector<int64_t> kmeans_plus_plus_generic(const at::Tensor& x, int64_t first,
                                              const at::Tensor& draws) {
  const int64_t n = x.size(0);
  const auto dev = x.device();
  const auto xnorm = x.pow(2).sum(1);
  std::vector<int64_t> chosen{first};
  auto closest =
      distances_to(x, xnorm, at::tensor({first}, at::kLong).to(dev)).squeeze(0).to(at::kDouble);
  const auto u = draws.to(dev);
  for (int64_t c = 0; c < draws.size(0); ++c) {
    const auto cum = closest.cumsum(0);
    const auto cand = at::searchsorted(cum, u[c] * cum[-1]).clamp_max(n - 1);
    const auto d = at::minimum(closest.unsqueeze(0), distances_to(x, xnorm, cand).to(at::kDouble));
    const auto best = d.sum(1).argmin().item<int64_t>();
    chosen.push_back(cand[best].item<int64_t>());
    closest = d[best];
  }
  return chosen;
}

// The same seeding on the CPU with fused loops; only the candidate distances use GEMM.
template <typename scalar_t>
std::vector<int64_t> kmeans_plus_plus_cpu(const at::Tensor& x, int64_t first,
                                          const at::Tensor& draws) {
  const int64_t n = x.size(0), trials = draws.size(1);
  const auto xnorm = x.pow(2).sum(1).contiguous();
  const auto* xn = xnorm.data_ptr<scalar_t>();
  const auto* u = draws.data_ptr<double>();
  auto buf = at::empty({trials, n}, x.options());
  const auto* g = buf.data_ptr<scalar_t>();
  const auto dist = [&](int64_t t, int64_t j, int64_t c) {
    return std::max(0.0, static_cast<double>(g[t * n + j]) + xn[j] + xn[c]);
  };
  std::vector<int64_t> chosen{first};
  auto one = buf.narrow(0, 0, 1);
  resampling::gemm_nt(x.narrow(0, first, 1), x, one, -2.0);
  std::vector<double> closest(n), cum(n), potential(trials);
  for (int64_t j = 0; j < n; ++j) {
    closest[j] = dist(0, j, first);
  }
  std::vector<int64_t> cand(trials);
  for (int64_t c = 0; c < draws.size(0); ++c) {
    double total = 0;
    for (int64_t j = 0; j < n; ++j) {
      total += closest[j];
      cum[j] = total;
    }
    for (int64_t t = 0; t < trials; ++t) {
      const auto it = std::lower_bound(cum.begin(), cum.end(), u[c * trials + t] * total);
      cand[t] = std::min<int64_t>(it - cum.begin(), n - 1);
    }
    auto block = buf.narrow(0, 0, trials);
    resampling::gemm_nt(x.index_select(0, resampling::to_tensor(cand)), x, block, -2.0);
    int64_t best = 0;
    for (int64_t t = 0; t < trials; ++t) {
      double p = 0;
      for (int64_t j = 0; j < n; ++j) {
        p += std::min(closest[j], dist(t, j, cand[t]));
      }
      potential[t] = p;
      best = p < potential[best] ? t : best;
    }
    for (int64_t j = 0; j < n; ++j) {
      closest[j] = std::min(closest[j], dist(best, j, cand[best]));
    }
    chosen.push_back(cand[best]);
  }
  return chosen;
}

at::Tensor kmeans_plus_plus(const at::Tensor& x, int64_t k, at::Generator& gen) {
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  const auto first = at::randint(x.size(0), {1}, gen, at::kLong).item<int64_t>();
  const auto draws = at::rand({k - 1, trials}, gen, at::kDouble);
  std::vector<int64_t> chosen;
  if (!resampling::use_generic_path(x.device())) {
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kmeans_plus_plus", [&] {
      chosen = kmeans_plus_plus_cpu<scalar_t>(x, first, draws);
    });
  } else {
    chosen = kmeans_plus_plus_generic(x, first, draws);
  }
  return x.index_select(0, resampling::to_tensor(chosen).to(x.device()));
}

} // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> kmeans(const at::Tensor& x, int64_t n_clusters,
                                                      int64_t max_iter, double tol, int64_t seed,
                                                      int64_t memory_budget) {
  return detail::kmeans_impl("kmeans", x, n_clusters, max_iter, tol, seed, memory_budget);
}

namespace detail {

std::tuple<at::Tensor, at::Tensor, at::Tensor> kmeans_impl(const char* op, const at::Tensor& x,
                                                           int64_t n_clusters, int64_t max_iter,
                                                           double tol, int64_t seed,
                                                           int64_t memory_budget) {
  resampling::check_features(op, x);
  resampling::check_budget(op, memory_budget);
  TORCH_CHECK_VALUE(n_clusters >= 1 && n_clusters <= x.size(0), op,
                    ": n_clusters must be in [1, number of rows = ", x.size(0), "], got ",
                    n_clusters);
  TORCH_CHECK_VALUE(max_iter >= 1, op, ": max_iter must be >= 1, got ", max_iter);
  TORCH_CHECK_VALUE(tol >= 0, op, ": tol must be >= 0, got ", tol);
  c10::NoGradGuard no_grad;
  // Squared distances that would overflow or underflow float32 run in float64 (scaled by a
  // power of two if float64 would too); centres and inertia are scaled back at the end.
  const auto scale = resampling::distance_scale(x, x);
  const auto ct = scale.dtype;
  const auto xs = resampling::apply_scale(x, scale).contiguous();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  auto centres = kmeans_plus_plus(xs, n_clusters, gen);
  const double shift_tol = tol * xs.to(at::kDouble).var(0, /*unbiased=*/false).mean().item<double>();
  at::Tensor labels;
  for (int64_t it = 0; it < max_iter; ++it) {
    auto assigned = detail::nearest_centre(xs, centres, memory_budget);
    auto& new_labels = std::get<0>(assigned);
    const bool same = labels.defined() && at::equal(new_labels, labels);
    labels = new_labels;
    if (same) {
      break;
    }
    auto sums = at::zeros_like(centres).index_add_(0, labels, xs);
    auto sizes = at::bincount(labels, {}, n_clusters);
    const auto empty = (sizes == 0).nonzero().squeeze(1);
    auto updated = sums / sizes.clamp_min(1).unsqueeze(1).to(ct);
    if (empty.numel() > 0) {
      const auto far = std::get<1>(std::get<1>(assigned).topk(empty.numel()));
      updated.index_copy_(0, empty, xs.index_select(0, far));
    }
    const double shift = (updated - centres).pow(2).sum().item<double>();
    centres = updated;
    if (shift <= shift_tol) {
      break;
    }
  }
  labels = std::get<0>(detail::nearest_centre(xs, centres, memory_budget));
  auto inertia =
      (xs.to(at::kDouble) - centres.index_select(0, labels).to(at::kDouble)).pow(2).sum();
  if (scale.exponent != 0) {
    const double undo = std::ldexp(1.0, -scale.exponent);
    centres = centres * undo;
    inertia = inertia * undo * undo;
  }
  return {centres.to(x.scalar_type()), labels, inertia};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> kmeans_meta(const at::Tensor& x, int64_t n_clusters,
                                                           int64_t max_iter, double tol,
                                                           int64_t seed, int64_t memory_budget) {
  TORCH_CHECK_VALUE(x.dim() == 2, "kmeans: x must be 2-D (n, d), got ", x.sym_sizes());
  TORCH_CHECK_VALUE(n_clusters >= 1, "kmeans: n_clusters must be >= 1, got ", n_clusters);
  return {at::empty_symint({c10::SymInt(n_clusters), x.sym_size(1)}, x.options()),
          at::empty_symint({x.sym_size(0)}, x.options().dtype(at::kLong)),
          at::empty({}, x.options().dtype(at::kDouble))};
}

} // namespace detail

} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("kmeans(Tensor x, int n_clusters, int max_iter=300, float tol=1e-4, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("kmeans", &rebalance::kmeans);
}

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("kmeans", &rebalance::detail::kmeans_meta);
}
