// The CPU search of knn for few features: a k-d tree over the references, searched per query
// with exact float64 distances. Where d is small the scan's cost (every pair) is mostly wasted,
// and a few rows of huge norm (they widen its rounding bound) or many near-ties defeat its
// candidate-list proof; the tree needs neither.
#include "rebalance/resampling/knn.h"

#include "rebalance/resampling/exact_distance.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

namespace rebalance {
namespace detail {
namespace {

// References per leaf: small enough to prune well, large enough to amortize a node visit.
constexpr int64_t kLeafSize = 16;
// The tree pays off against the fused brute-force kernel from this many references on, at most
// kTreeMaxFeatures features (measured by scripts/bench_resampling.py's kNN section).
constexpr int64_t kTreeMinReferences = 2048;
// Queries of the probe that decides between the tree and the scan.
constexpr int64_t kProbeQueries = 256;
// How much cheaper the fused float32 scan measures one reference than the tree does (SIMD
// float32 bounds vs exact float64 distances and node visits): the tree must measure fewer
// than 1/kScanAdvantage of the references per query.
constexpr int64_t kScanAdvantage = 100;

struct Node {
  int64_t begin, end;  // the node's points: positions begin..end-1 of the tree order
  int64_t left = -1, right = -1;
  int64_t min_index = 0;  // the smallest original index among them
};

// References in tree order (float64 copies, rows contiguous) with their original indices and
// one tight bounding box per node.
class KdTree {
 public:
  template <typename scalar_t>
  KdTree(const scalar_t* r, int64_t n, int64_t d) : d_(d), order_(n), points_(n * d) {
    std::iota(order_.begin(), order_.end(), int64_t{0});
    std::vector<double> rows(r, r + n * d);  // exact: float32 → float64
    nodes_.reserve(static_cast<size_t>(2 * (n / kLeafSize + 1)));
    if (n > 0) {
      build(rows, 0, n);
    }
    for (int64_t t = 0; t < n; ++t) {
      std::copy_n(rows.data() + order_[t] * d, d, points_.data() + t * d);
    }
  }

  /// The original index of the reference at position t of the tree order.
  int64_t row_at(int64_t t) const { return order_[t]; }

  /// The k references nearest to q (sorted by (distance, index)), `skip` excluded (-1: none);
  /// returns how many references it measured. A node is left out only when every point in it
  /// would lose to the k-th found: its box is farther, or as far with only larger indices.
  int64_t search(const double* q, int64_t k, int64_t skip, double* out_d, int64_t* out_i,
                 std::vector<std::pair<double, int64_t>>& best,
                 std::vector<std::pair<int64_t, double>>& stack) const {
    best.clear();
    stack.clear();
    stack.emplace_back(0, box_distance(0, q));
    int64_t measured = 0;
    while (!stack.empty()) {
      const auto [id, bound] = stack.back();
      stack.pop_back();
      const Node& node = nodes_[static_cast<size_t>(id)];
      if (static_cast<int64_t>(best.size()) == k &&
          (bound > best.back().first ||
           (bound == best.back().first && node.min_index > best.back().second))) {
        continue;
      }
      if (node.left < 0) {
        const int64_t len = node.end - node.begin;
        for (int64_t t = node.begin; t < node.end; ++t) {
          if (order_[t] != skip) {
            offer(best, k, {exact_distance(q, points_.data() + t * d_, d_), order_[t]});
          }
        }
        measured += len;
        continue;
      }
      const double bl = box_distance(node.left, q), br = box_distance(node.right, q);
      // The nearer child is searched first (pushed last).
      if (bl <= br) {
        stack.emplace_back(node.right, br);
        stack.emplace_back(node.left, bl);
      } else {
        stack.emplace_back(node.left, bl);
        stack.emplace_back(node.right, br);
      }
    }
    for (int64_t t = 0; t < k; ++t) {
      out_d[t] = best[static_cast<size_t>(t)].first;
      out_i[t] = best[static_cast<size_t>(t)].second;
    }
    return measured;
  }

 private:
  // Keeps the k smallest (distance, index) pairs, sorted.
  static void offer(std::vector<std::pair<double, int64_t>>& best, int64_t k,
                    std::pair<double, int64_t> c) {
    if (static_cast<int64_t>(best.size()) == k) {
      if (!(c < best.back())) {
        return;
      }
      best.pop_back();
    }
    best.insert(std::upper_bound(best.begin(), best.end(), c), c);
  }

  // The distance from q to the node's box, summed like exact_distance: never above the exact
  // distance to any of its points (every term is smaller and rounding is monotone).
  double box_distance(int64_t id, const double* q) const {
    const double* lo = boxes_.data() + id * 2 * d_;
    const double* hi = lo + d_;
    return sum_of_squares(d_, [&](int64_t f) {
      // lo − q or q − hi where q is outside, 0 inside (branch-free: at most one is positive)
      return std::max(std::max(lo[f] - q[f], q[f] - hi[f]), 0.0);
    });
  }

  // Builds the subtree of positions begin..end-1 (order_ holds original row indices) and
  // returns its node id: split at the median of the box's widest feature.
  int64_t build(const std::vector<double>& rows, int64_t begin, int64_t end) {
    const int64_t id = static_cast<int64_t>(nodes_.size());
    nodes_.push_back({begin, end});
    boxes_.resize(boxes_.size() + static_cast<size_t>(2 * d_));
    double* lo = boxes_.data() + id * 2 * d_;
    double* hi = lo + d_;
    std::fill_n(lo, d_, std::numeric_limits<double>::infinity());
    std::fill_n(hi, d_, -std::numeric_limits<double>::infinity());
    int64_t min_index = order_[begin];
    for (int64_t t = begin; t < end; ++t) {
      min_index = std::min(min_index, order_[t]);
      const double* x = rows.data() + order_[t] * d_;
      for (int64_t f = 0; f < d_; ++f) {
        lo[f] = std::min(lo[f], x[f]);
        hi[f] = std::max(hi[f], x[f]);
      }
    }
    nodes_[static_cast<size_t>(id)].min_index = min_index;
    int64_t split = 0;
    for (int64_t f = 1; f < d_; ++f) {
      if (hi[f] - lo[f] > hi[split] - lo[split]) split = f;
    }
    // A leaf: few points, or all of them equal (nothing to split).
    if (end - begin <= kLeafSize || !(hi[split] > lo[split])) {
      return id;
    }
    // The median's value goes to one side only, so that the children's boxes do not meet:
    // on integer-valued tables many queries lie exactly on a split value.
    const auto value = [&](int64_t row) { return rows[row * d_ + split]; };
    const auto first = order_.begin();
    int64_t mid = begin + (end - begin) / 2;
    std::nth_element(first + begin, first + mid, first + end,
                     [&](int64_t a, int64_t b) { return value(a) < value(b); });
    const double v = value(order_[mid]);
    const int64_t below =
        std::partition(first + begin, first + end, [&](int64_t r) { return value(r) < v; }) - first;
    const int64_t upto =
        std::partition(first + below, first + end, [&](int64_t r) { return value(r) == v; }) - first;
    // Both cannot be an end: the box is wider than one value along `split`.
    const int64_t centre = begin + (end - begin) / 2;
    if (below == begin || (upto < end && std::abs(upto - centre) < std::abs(below - centre))) {
      mid = upto;
    } else {
      mid = below;
    }
    const int64_t left = build(rows, begin, mid);
    const int64_t right = build(rows, mid, end);
    nodes_[static_cast<size_t>(id)].left = left;
    nodes_[static_cast<size_t>(id)].right = right;
    return id;
  }

  int64_t d_;
  std::vector<int64_t> order_;
  std::vector<double> points_, boxes_;
  std::vector<Node> nodes_;
};

// One thread's searches of p's queries: writes query i's row of the outputs and returns how
// many references it measured (the buffers are reused from query to query).
template <typename scalar_t>
class QuerySearch {
 public:
  QuerySearch(const KdTree& tree, const KnnProblem& p, double* od, int64_t* oi)
      : tree_(tree), q_(p.q.data_ptr<scalar_t>()),
        self_(p.self.defined() ? p.self.data_ptr<int64_t>() : nullptr), d_(p.q.size(1)), k_(p.k),
        od_(od), oi_(oi), qi_(static_cast<size_t>(d_)) {}

  int64_t operator()(int64_t i) {
    std::copy_n(q_ + i * d_, d_, qi_.data());
    return tree_.search(qi_.data(), k_, self_ != nullptr ? self_[i] : -1, od_ + i * k_,
                        oi_ + i * k_, best_, stack_);
  }

 private:
  const KdTree& tree_;
  const scalar_t* q_;
  const int64_t* self_;
  int64_t d_, k_;
  double* od_;
  int64_t* oi_;
  std::vector<double> qi_;
  std::vector<std::pair<double, int64_t>> best_;
  std::vector<std::pair<int64_t, double>> stack_;
};

// Searches the queries rows[0..count) (indices into p.q) in parallel.
template <typename scalar_t>
void search_rows(const KdTree& tree, const KnnProblem& p, const int64_t* rows, int64_t count,
                 double* od, int64_t* oi) {
  at::parallel_for(0, count, 64, [&](int64_t begin, int64_t end) {
    QuerySearch<scalar_t> search(tree, p, od, oi);
    for (int64_t t = begin; t < end; ++t) search(rows[t]);
  });
}

// Searches the sample queries one by one until they have measured more than `allowance`
// references in all (then false: the scan is cheaper) or all are answered (true).
template <typename scalar_t>
bool probe_rows(const KdTree& tree, const KnnProblem& p, const std::vector<int64_t>& rows,
                int64_t allowance, double* od, int64_t* oi) {
  QuerySearch<scalar_t> search(tree, p, od, oi);
  int64_t measured = 0;
  for (const int64_t i : rows) {
    measured += search(i);
    if (measured > allowance) return false;
  }
  return true;
}

} // namespace

bool knn_tree_may_apply(const KnnProblem& p) {
  return p.q.size(1) <= kTreeMaxFeatures && p.r.size(0) >= kTreeMinReferences &&
         p.q.device().is_cpu();
}

bool knn_tree(const KnnProblem& p, at::Tensor& out_d, at::Tensor& out_i, bool probe) {
  const int64_t nq = p.q.size(0), nr = p.r.size(0);
  bool searched = false;
  AT_DISPATCH_FLOATING_TYPES(p.q.scalar_type(), "knn_tree", [&] {
    const KdTree tree(p.r.data_ptr<scalar_t>(), nr, p.q.size(1));
    // Queries that are the references go in tree order: neighbouring queries then search the
    // same nodes, which stay in cache.
    std::vector<int64_t> rows(static_cast<size_t>(nq));
    for (int64_t t = 0; t < nq; ++t) {
      rows[static_cast<size_t>(t)] = p.q.is_same(p.r) ? tree.row_at(t) : t;
    }
    double* od = out_d.data_ptr<double>();
    int64_t* oi = out_i.data_ptr<int64_t>();
    int64_t done = 0;
    if (probe) {
      // Evenly spaced queries (their results are kept), one by one: the tree gives up as soon
      // as they have measured more than 1/kScanAdvantage of the references each on average, so
      // a search it does badly costs at most that before the scan takes over.
      const int64_t count = std::min(nq, kProbeQueries);
      const int64_t stride = nq / count;
      std::vector<int64_t> sample(static_cast<size_t>(count));
      for (int64_t t = 0; t < count; ++t) sample[size_t(t)] = rows[size_t(t * stride)];
      if (!probe_rows<scalar_t>(tree, p, sample, count * nr / kScanAdvantage, od, oi)) {
        return;
      }
      std::vector<int64_t> rest;
      rest.reserve(static_cast<size_t>(nq - count));
      for (int64_t t = 0; t < nq; ++t) {
        if (t % stride != 0 || t / stride >= count) rest.push_back(rows[size_t(t)]);
      }
      rows.swap(rest);
      done = count;
    }
    search_rows<scalar_t>(tree, p, rows.data(), nq - done, od, oi);
    searched = true;
  });
  return searched;
}

void knn_tree_rows(const KnnProblem& p, const std::vector<int64_t>& rows, at::Tensor& out_d,
                   at::Tensor& out_i) {
  AT_DISPATCH_FLOATING_TYPES(p.q.scalar_type(), "knn_tree", [&] {
    const KdTree tree(p.r.data_ptr<scalar_t>(), p.r.size(0), p.q.size(1));
    search_rows<scalar_t>(tree, p, rows.data(), static_cast<int64_t>(rows.size()),
                          out_d.data_ptr<double>(), out_i.data_ptr<int64_t>());
  });
}

} // namespace detail
} // namespace rebalance
