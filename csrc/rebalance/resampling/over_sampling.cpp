#include "rebalance/resampling/over_sampling.h"

#include "rebalance/bounds.h"
#include "rebalance/resampling/device_path.h"
#include "rebalance/resampling/knn.h"
#include "rebalance/resampling/sampling_strategy.h"
#include "rebalance/resampling/under_sampling.h"
#include "rebalance/warnings.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <cmath>
#include <vector>
#include "rebalance/resampling/schema_args.h"
#include <torch/library.h>

namespace rebalance {

using resampling::SamplingType;

namespace {

// Checks that the rows to generate (Σ of the positive targets), `row_bytes` each, fit in memory.
void check_generated(const char* op, const resampling::ResolvedClasses& cls, int64_t row_bytes) {
  int64_t total = 0;
  for (const int64_t t : cls.target) {
    if (t > 0) total = checked_add(op, "the number of samples to generate", total, t);
  }
  check_allocation(op, "the number of samples to generate", total, row_bytes);
}

resampling::ResolvedClasses over_sampling_classes(const char* op, const at::Tensor& x,
                                                  const at::Tensor& y, rebalance::string_view strategy,
                                                  double ratio,
                                                  const rebalance::optional<at::Tensor>& counts,
                                                  int64_t memory_budget) {
  resampling::check_features(op, x);
  resampling::check_budget(op, memory_budget);
  auto cls = resampling::resolve_classes(op, x, y, SamplingType::Over, strategy, ratio, counts);
  // A new row: its features, its label and the draws that make it.
  check_generated(op, cls, checked_add(op, "the row size",
                                       checked_mul(op, "the row size", x.size(1), x.element_size()),
                                       32));
  return cls;
}

// out[s] = base + u_s · (partner − base), base = xc[rows[s]], partner = xc[nn[rows[s], cols[s]]]:
// the tensor ops' sequence (subtract, multiply, add, each rounded; this file is built without
// FMA contraction), so both paths give the same bits.
template <typename scalar_t>
void interpolate_cpu(const at::Tensor& xc, const at::Tensor& nn, const at::Tensor& rows,
                     const at::Tensor& cols, const at::Tensor& u, at::Tensor& out) {
  const int64_t d = xc.size(1), k = nn.size(1);
  const auto* x = xc.data_ptr<scalar_t>();
  const auto* p = nn.data_ptr<int64_t>();
  const auto* r = rows.data_ptr<int64_t>();
  const auto* c = cols.data_ptr<int64_t>();
  const auto* w = u.data_ptr<scalar_t>();
  auto* o = out.data_ptr<scalar_t>();
  at::parallel_for(0, rows.size(0), 256, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const scalar_t* base = x + r[s] * d;
      const scalar_t* partner = x + p[r[s] * k + c[s]] * d;
      scalar_t* dst = o + s * d;
      for (int64_t f = 0; f < d; ++f) {
        const scalar_t diff = partner[f] - base[f];
        const scalar_t step = w[s] * diff;
        dst[f] = base[f] + step;
      }
    }
  });
}

at::Tensor interpolate_in_type(const at::Tensor& xc, const at::Tensor& nn, const at::Tensor& rows,
                               const at::Tensor& cols, const at::Tensor& u);

// x_new = x[rows] + u · (x[nn[rows, cols]] − x[rows]) for class rows xc (on x's device). The
// difference of two rows overflows when their values pass half the type's range (float16 at
// ±4e4): such data, and float16/bfloat16 always, is interpolated in float64 and rounded back
// (the result lies between the two rows, so it is finite).
at::Tensor interpolate(const at::Tensor& xc, const at::Tensor& nn, const at::Tensor& rows,
                       const at::Tensor& cols, at::Generator& gen) {
  const auto dev = xc.device();
  const auto st = xc.scalar_type();
  const bool narrow = st != at::kFloat && st != at::kDouble;
  const double limit = st == at::kDouble ? 0x1p1022 : 0x1p126;
  if (narrow || (xc.numel() > 0 && xc.abs().max().item<double>() >= limit)) {
    const auto u = at::rand({rows.size(0), 1}, gen, at::kDouble).to(dev);
    const auto wide = st == at::kDouble ? xc * 0.5 : xc.to(at::kDouble);
    auto out = interpolate_in_type(wide, nn, rows, cols, u);
    return (st == at::kDouble ? out * 2.0 : out).to(st);
  }
  return interpolate_in_type(xc, nn, rows, cols,
                             at::rand({rows.size(0), 1}, gen, at::kDouble).to(dev, st));
}

at::Tensor interpolate_in_type(const at::Tensor& xc, const at::Tensor& nn, const at::Tensor& rows,
                               const at::Tensor& cols, const at::Tensor& u) {
  const auto dev = xc.device();
  const auto st = xc.scalar_type();
  if (!resampling::use_generic_path(dev) && (st == at::kFloat || st == at::kDouble)) {
    const auto x = xc.contiguous();
    const auto n = nn.contiguous();
    auto out = at::empty({rows.size(0), xc.size(1)}, xc.options());
    AT_DISPATCH_FLOATING_TYPES(st, "smote_interpolate", [&] {
      interpolate_cpu<scalar_t>(x, n, rows.contiguous(), cols.contiguous(), u, out);
    });
    return out;
  }
  const auto r = rows.to(dev);
  const auto base = xc.index_select(0, r);
  const auto partner = xc.index_select(0, nn.index_select(0, r).gather(1, cols.to(dev).unsqueeze(1))
                                              .squeeze(1));
  return base + u * (partner - base);
}

at::Tensor class_rows(const at::Tensor& x, const std::vector<int64_t>& m) {
  return x.index_select(0, resampling::to_tensor(m).to(x.device()));
}

void check_class_size(const char* op, const char* what, int64_t c, int64_t size, int64_t k) {
  TORCH_CHECK_VALUE(size > k, op, ": class ", c, " has ", size, " samples; ", what, " = ", k,
                    " needs at least ", k + 1, " (lower ", what, " or leave the class out)");
}

std::tuple<at::Tensor, at::Tensor> concat(const at::Tensor& x, std::vector<at::Tensor>& rows,
                                          std::vector<at::Tensor>& labels) {
  if (rows.empty()) {
    return {at::empty({0, x.size(1)}, x.options()), at::empty({0}, x.options().dtype(at::kLong))};
  }
  if (rows.size() == 1) {
    return {rows[0], labels[0]};
  }
  return {at::cat(rows), at::cat(labels)};
}

} // namespace

at::Tensor random_over_sampler(const at::Tensor& y, rebalance::string_view strategy, double ratio,
                               const rebalance::optional<at::Tensor>& counts, int64_t seed) {
  constexpr const char* op = "random_over_sampler";
  TORCH_CHECK_VALUE(y.dim() == 1, op, ": labels must be a 1-D tensor, got shape ", y.sizes());
  const auto cls =
      resampling::resolve_classes(op, y.unsqueeze(1), y, SamplingType::Over, strategy, ratio,
                                  counts);
  check_generated(op, cls, 24);  // the drawn position, the row index and the concatenation
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  std::vector<at::Tensor> parts;
  for (size_t c = 0; c < cls.counts.size(); ++c) {
    if (cls.target[c] > 0) {
      parts.push_back(resampling::to_tensor(cls.members[c])
                          .index_select(0, at::randint(cls.counts[c], {cls.target[c]}, gen,
                                                       at::kLong)));
    }
  }
  return (parts.empty() ? at::empty({0}, at::kLong) : at::cat(parts)).to(y.device());
}

namespace {

// SMOTE with errors naming `op` (smote, or smote_tomek that calls it).
std::tuple<at::Tensor, at::Tensor> smote_impl(const char* op, const at::Tensor& x,
                                              const at::Tensor& y, rebalance::string_view strategy,
                                              double ratio,
                                              const rebalance::optional<at::Tensor>& counts,
                                              int64_t k_neighbors, int64_t seed,
                                              int64_t memory_budget) {
  resampling::check_neighbors(op, "k_neighbors", k_neighbors);
  const auto cls = over_sampling_classes(op, x, y, strategy, ratio, counts, memory_budget);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  std::vector<at::Tensor> rows_out, labels_out;
  for (int64_t c = 0; c < static_cast<int64_t>(cls.counts.size()); ++c) {
    const int64_t m = cls.target[c];
    if (m <= 0) {
      continue;
    }
    const int64_t size = cls.counts[c];
    check_class_size(op, "k_neighbors", c, size, k_neighbors);
    const auto xc = class_rows(x, cls.members[c]);
    const auto self = at::arange(size, xc.options().dtype(at::kLong));
    const auto nn = std::get<1>(
        detail::knn_for(op, xc, xc, k_neighbors, self, memory_budget, false, /*symmetric=*/true));
    const auto pick = at::randint(size * k_neighbors, {m}, gen, at::kLong);
    rows_out.push_back(interpolate(xc, nn, pick.div(k_neighbors, "floor"),
                                   pick.remainder(k_neighbors), gen));
    labels_out.push_back(at::full({m}, c, x.options().dtype(at::kLong)));
  }
  return concat(x, rows_out, labels_out);
}

} // namespace

std::tuple<at::Tensor, at::Tensor> smote(const at::Tensor& x, const at::Tensor& y,
                                         rebalance::string_view strategy, double ratio,
                                         const rebalance::optional<at::Tensor>& counts,
                                         int64_t k_neighbors, int64_t seed,
                                         int64_t memory_budget) {
  return smote_impl("smote", x, y, strategy, ratio, counts, k_neighbors, seed, memory_budget);
}

std::tuple<at::Tensor, at::Tensor> adasyn(const at::Tensor& x, const at::Tensor& y,
                                          rebalance::string_view strategy, double ratio,
                                          const rebalance::optional<at::Tensor>& counts,
                                          int64_t n_neighbors, int64_t seed,
                                          int64_t memory_budget) {
  constexpr const char* op = "adasyn";
  resampling::check_neighbors(op, "n_neighbors", n_neighbors);
  const auto cls = over_sampling_classes(op, x, y, strategy, ratio, counts, memory_budget);
  TORCH_CHECK_VALUE(n_neighbors < x.size(0) || x.size(0) == 0, op, ": n_neighbors (",
                    n_neighbors, ") must be smaller than the number of rows (", x.size(0), ")");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  const auto* l = cls.labels.data_ptr<int64_t>();
  std::vector<at::Tensor> rows_out, labels_out;
  for (int64_t c = 0; c < static_cast<int64_t>(cls.counts.size()); ++c) {
    if (cls.target[c] <= 0) {
      continue;
    }
    const auto& mem = cls.members[c];
    const int64_t size = cls.counts[c];
    const auto idx = resampling::to_tensor(mem).to(x.device());
    const auto xc = x.index_select(0, idx);
    const auto nn_all =
        std::get<1>(detail::knn_for(op, xc, x, n_neighbors, idx, memory_budget, false))
            .to(at::kCPU)
            .contiguous();
    const auto* p = nn_all.data_ptr<int64_t>();
    std::vector<double> share(size);
    double total = 0;
    for (int64_t i = 0; i < size; ++i) {
      int64_t other = 0;
      for (int64_t t = 0; t < n_neighbors; ++t) {
        other += l[p[i * n_neighbors + t]] != c;
      }
      share[i] = static_cast<double>(other) / static_cast<double>(n_neighbors);
      total += share[i];
    }
    TORCH_CHECK_VALUE(total > 0, op, ": no row of class ", c, " has a neighbour of another ",
                      "class, so ADASYN's weights are undefined; use SMOTE instead");
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < size; ++i) {
      const auto g = static_cast<int64_t>(
          std::nearbyint(share[i] / total * static_cast<double>(cls.target[c])));
      rows.insert(rows.end(), g, i);
    }
    if (rows.empty()) {
      // imbalanced-learn raises here for the whole call; one class whose few wanted rows spread
      // over many members should not cost the other classes theirs.
      warn(fmt::format("{}: class {} gets no new rows: its target of {} new rows spread over "
                       "its {} members by their ADASYN weights rounds to 0 for every member",
                       op, c, cls.target[c], size));
      continue;
    }
    check_class_size(op, "n_neighbors", c, size, n_neighbors);
    const auto self = at::arange(size, xc.options().dtype(at::kLong));
    const auto nn = std::get<1>(
        detail::knn_for(op, xc, xc, n_neighbors, self, memory_budget, false, /*symmetric=*/true));
    const auto r = resampling::to_tensor(rows);
    const auto cols = at::randint(n_neighbors, {r.size(0)}, gen, at::kLong);
    rows_out.push_back(interpolate(xc, nn, r, cols, gen));
    labels_out.push_back(at::full({r.size(0)}, c, x.options().dtype(at::kLong)));
  }
  return concat(x, rows_out, labels_out);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> smote_tomek(
    const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy, double ratio,
    const rebalance::optional<at::Tensor>& counts, int64_t k_neighbors, int64_t seed,
    int64_t memory_budget) {
  // smote_impl checks every argument (memory_budget included) under this op's name; the
  // cleaning step then runs on valid data.
  const auto generated =
      smote_impl("smote_tomek", x, y, strategy, ratio, counts, k_neighbors, seed, memory_budget);
  const auto& x_new = std::get<0>(generated);
  const auto& y_new = std::get<1>(generated);
  const auto kept = tomek_links(at::cat({x, x_new.to(x.scalar_type())}),
                                at::cat({y.to(x.device(), at::kLong), y_new}), "all", rebalance::nullopt,
                                memory_budget);
  return {x_new, y_new, kept};
}

} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("random_over_sampler(Tensor y, " REBALANCE_STRATEGY_ARGS ", int seed=0) -> Tensor");
  m.def("smote(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS ", int k_neighbors=5, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor)");
  m.def("adasyn(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS ", int n_neighbors=5, int seed=0, "
        REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor)");
  m.def("smote_tomek(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS
        ", int k_neighbors=5, int seed=0, " REBALANCE_BUDGET_ARG ") -> (Tensor, Tensor, Tensor)");
}

// Compositions of ATen ops on the inputs' device with no gradient: one kernel for every backend.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("random_over_sampler", &rebalance::random_over_sampler);
  m.impl("smote", &rebalance::smote);
  m.impl("adasyn", &rebalance::adasyn);
  m.impl("smote_tomek", &rebalance::smote_tomek);
}
