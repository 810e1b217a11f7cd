#include "rebalance/resampling/under_sampling.h"

#include "rebalance/resampling/knn.h"
#include "rebalance/resampling/sampling_strategy.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <numeric>
#include <string>
#include "rebalance/resampling/schema_args.h"
#include <torch/library.h>

namespace rebalance {

using resampling::SamplingType;

namespace {

// The kept indices, ascending, on `device`.
at::Tensor sorted_tensor(std::vector<int64_t> v, const c10::Device& device) {
  std::sort(v.begin(), v.end());
  return resampling::to_tensor(v).to(device);
}

// Sets p[i] to the nearest neighbour of x's rows `idx` (self excluded, lowest index on ties).
void search(const at::Tensor& x, const std::vector<int64_t>& idx, int64_t memory_budget,
            bool symmetric, std::vector<int64_t>& p) {
  if (idx.empty()) {
    return;
  }
  const auto t = resampling::to_tensor(idx).to(x.device());
  const auto q = symmetric ? x : x.index_select(0, t);
  const auto nn = std::get<1>(detail::knn_impl(q, x, 1, t, memory_budget, false, symmetric))
                      .to(at::kCPU)
                      .contiguous();
  const auto* r = nn.data_ptr<int64_t>();
  for (size_t s = 0; s < idx.size(); ++s) {
    p[idx[s]] = r[s];
  }
}

// The nearest neighbour of every row that can be in a Tomek link, -1 for the others. A link
// joins two classes, so one end lies outside the largest class M: the rows outside M (P) are
// searched, then the rows of M that one of them points to (C). |P| + |C| <= n queries, and
// at most 2|P| of them; with |P| > n / 4 one symmetric search of every row costs less.
std::vector<int64_t> link_neighbours(const at::Tensor& x, const int64_t* l,
                                     const std::vector<int64_t>& counts, int64_t memory_budget) {
  const int64_t rows = x.size(0);
  std::vector<int64_t> p(rows, -1);
  if (rows < 2) {
    return p;
  }
  const auto largest = std::max_element(counts.begin(), counts.end()) - counts.begin();
  std::vector<int64_t> outside;
  for (int64_t i = 0; i < rows; ++i) {
    if (l[i] != largest) {
      outside.push_back(i);
    }
  }
  if (4 * static_cast<int64_t>(outside.size()) > rows) {
    std::vector<int64_t> all(rows);
    std::iota(all.begin(), all.end(), 0);
    search(x, all, memory_budget, /*symmetric=*/true, p);
    return p;
  }
  search(x, outside, memory_budget, false, p);
  std::vector<int64_t> pointed;
  for (const int64_t j : outside) {
    const int64_t i = p[j];
    if (l[i] == largest && p[i] == -1) {
      p[i] = -2;
      pointed.push_back(i);
    }
  }
  std::sort(pointed.begin(), pointed.end());
  search(x, pointed, memory_budget, false, p);
  return p;
}

} // namespace

at::Tensor random_under_sampler(const at::Tensor& y, rebalance::string_view strategy, double ratio,
                                const rebalance::optional<at::Tensor>& counts, bool replacement,
                                int64_t seed) {
  constexpr const char* op = "random_under_sampler";
  TORCH_CHECK_VALUE(y.dim() == 1, op, ": labels must be a 1-D tensor, got shape ", y.sizes());
  const auto cls =
      resampling::resolve_classes(op, y.unsqueeze(1), y, SamplingType::Under, strategy, ratio,
                                  counts);
  const auto& n = cls.counts;
  const auto& target = cls.target;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  std::vector<int64_t> kept;
  for (size_t c = 0; c < n.size(); ++c) {
    const auto& m = cls.members[c];
    if (target[c] < 0) {
      kept.insert(kept.end(), m.begin(), m.end());
      continue;
    }
    const auto pick = replacement ? at::randint(n[c], {target[c]}, gen, at::kLong)
                                  : at::randperm(n[c], gen, at::kLong).narrow(0, 0, target[c]);
    const auto* p = pick.data_ptr<int64_t>();
    for (int64_t i = 0; i < target[c]; ++i) {
      kept.push_back(m[p[i]]);
    }
  }
  return sorted_tensor(std::move(kept), y.device());
}

at::Tensor tomek_links(const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy,
                       const rebalance::optional<at::Tensor>& counts, int64_t memory_budget) {
  constexpr const char* op = "tomek_links";
  resampling::check_features(op, x);
  resampling::check_budget(op, memory_budget);
  const auto labels = resampling::check_labels(op, x, y);
  const auto n = resampling::class_counts(labels);
  const auto target =
      resampling::resolve_sampling_strategy(op, n, SamplingType::Clean, strategy, -1, counts);
  const int64_t rows = x.size(0);
  const auto* l = labels.data_ptr<int64_t>();
  const auto p = link_neighbours(x, l, n, memory_budget);
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < rows; ++i) {
    const bool link = p[i] >= 0 && target[l[i]] >= 0 && l[p[i]] != l[i] && p[p[i]] == i;
    if (!link) {
      kept.push_back(i);
    }
  }
  return resampling::to_tensor(kept).to(x.device());
}

at::Tensor edited_nearest_neighbours(const at::Tensor& x, const at::Tensor& y,
                                     rebalance::string_view strategy,
                                     const rebalance::optional<at::Tensor>& counts,
                                     int64_t n_neighbors, rebalance::string_view kind_sel,
                                     int64_t memory_budget) {
  constexpr const char* op = "edited_nearest_neighbours";
  resampling::check_features(op, x);
  resampling::check_budget(op, memory_budget);
  const auto labels = resampling::check_labels(op, x, y);
  resampling::check_neighbors(op, "n_neighbors", n_neighbors);
  const bool all = kind_sel == "all";
  TORCH_CHECK_VALUE(all || kind_sel == "mode", op, ": kind_sel must be \"all\" or \"mode\", got \"",
                    std::string(kind_sel), "\"");
  const auto n = resampling::class_counts(labels);
  const auto num_classes = static_cast<int64_t>(n.size());
  const auto target =
      resampling::resolve_sampling_strategy(op, n, SamplingType::Clean, strategy, -1, counts);
  TORCH_CHECK_VALUE(n_neighbors < x.size(0), op, ": n_neighbors (", n_neighbors,
                    ") must be smaller than the number of rows (", x.size(0), ")");
  const auto members = resampling::class_members(labels, num_classes);
  const auto* l = labels.data_ptr<int64_t>();
  std::vector<int64_t> kept;
  std::vector<int64_t> votes(num_classes);
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto& m = members[c];
    if (target[c] < 0 || m.empty()) {
      kept.insert(kept.end(), m.begin(), m.end());
      continue;
    }
    const auto idx = resampling::to_tensor(m).to(x.device());
    const auto nn = std::get<1>(detail::knn_for(op, x.index_select(0, idx), x, n_neighbors, idx,
                                                 memory_budget, false))
                        .to(at::kCPU)
                        .contiguous();
    const auto* p = nn.data_ptr<int64_t>();
    for (size_t i = 0; i < m.size(); ++i) {
      const int64_t* row = p + i * n_neighbors;
      bool keep;
      if (all) {
        keep = std::all_of(row, row + n_neighbors, [&](int64_t j) { return l[j] == c; });
      } else {
        std::fill(votes.begin(), votes.end(), 0);
        for (int64_t t = 0; t < n_neighbors; ++t) {
          ++votes[l[row[t]]];
        }
        keep = std::max_element(votes.begin(), votes.end()) - votes.begin() == c;
      }
      if (keep) {
        kept.push_back(m[i]);
      }
    }
  }
  return sorted_tensor(std::move(kept), x.device());
}

at::Tensor near_miss(const at::Tensor& x, const at::Tensor& y, rebalance::string_view strategy,
                     double ratio, const rebalance::optional<at::Tensor>& counts, int64_t n_neighbors,
                     int64_t memory_budget) {
  constexpr const char* op = "near_miss";
  resampling::check_features(op, x);
  resampling::check_budget(op, memory_budget);
  const auto labels = resampling::check_labels(op, x, y);
  resampling::check_neighbors(op, "n_neighbors", n_neighbors);
  const auto n = resampling::class_counts(labels);
  const auto num_classes = static_cast<int64_t>(n.size());
  const auto target =
      resampling::resolve_sampling_strategy(op, n, SamplingType::Under, strategy, ratio, counts);
  const auto members = resampling::class_members(labels, num_classes);
  int64_t minority = -1;
  for (int64_t c = 0; c < num_classes; ++c) {
    if (n[c] > 0 && (minority < 0 || n[c] < n[minority])) {
      minority = c;
    }
  }
  std::vector<int64_t> kept;
  if (minority < 0) {
    return resampling::to_tensor(kept).to(x.device());
  }
  TORCH_CHECK_VALUE(n_neighbors <= n[minority], op, ": n_neighbors (", n_neighbors,
                    ") must be at most the size of the minority class ", minority, " (",
                    n[minority], ")");
  const auto reference =
      x.index_select(0, resampling::to_tensor(members[minority]).to(x.device()));
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto& m = members[c];
    if (target[c] < 0 || m.empty()) {
      kept.insert(kept.end(), m.begin(), m.end());
      continue;
    }
    const auto query = x.index_select(0, resampling::to_tensor(m).to(x.device()));
    const auto dist = std::get<0>(detail::knn_for(op, query, reference, n_neighbors, at::Tensor(),
                                                   memory_budget, false))
                          .sqrt()
                          .to(at::kCPU)
                          .contiguous();
    const auto* d = dist.data_ptr<double>();
    std::vector<double> score(m.size());
    for (size_t i = 0; i < m.size(); ++i) {
      score[i] = std::accumulate(d + i * n_neighbors, d + (i + 1) * n_neighbors, 0.0);
    }
    std::vector<int64_t> order(m.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return score[a] < score[b]; });
    const auto keep = std::min<int64_t>(target[c], static_cast<int64_t>(m.size()));
    for (int64_t i = 0; i < keep; ++i) {
      kept.push_back(m[order[i]]);
    }
  }
  return sorted_tensor(std::move(kept), x.device());
}

} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("random_under_sampler(Tensor y, " REBALANCE_STRATEGY_ARGS
        ", bool replacement=False, int seed=0) -> Tensor");
  m.def("tomek_links(Tensor x, Tensor y, str strategy=\"auto\", Tensor? counts=None, "
        REBALANCE_BUDGET_ARG ") -> Tensor");
  m.def("edited_nearest_neighbours(Tensor x, Tensor y, str strategy=\"auto\", "
        "Tensor? counts=None, int n_neighbors=3, str kind_sel=\"all\", " REBALANCE_BUDGET_ARG
        ") -> Tensor");
  m.def("near_miss(Tensor x, Tensor y, " REBALANCE_STRATEGY_ARGS ", int n_neighbors=3, "
        REBALANCE_BUDGET_ARG ") -> Tensor");
}

// Compositions of ATen ops on the inputs' device with no gradient: one kernel for every backend.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("random_under_sampler", &rebalance::random_under_sampler);
  m.impl("tomek_links", &rebalance::tomek_links);
  m.impl("edited_nearest_neighbours", &rebalance::edited_nearest_neighbours);
  m.impl("near_miss", &rebalance::near_miss);
}
