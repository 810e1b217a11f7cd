#include "rebalance/sampling/sampling_policy.h"

#include "rebalance/bounds.h"
#include "rebalance/sampling/epoch_plan.h"
#include "rebalance/sampling/largest_remainder.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace rebalance {
namespace sampling {
namespace {

// SamplingPolicy serves AdaptiveSampler, the class users construct: errors name it.
constexpr const char* kOp = "AdaptiveSampler";

void check_options(const SamplingPolicyOptions& o, int64_t num_classes) {
  const char* op = kOp;
  if (o.budget().has_value()) {
    TORCH_CHECK_VALUE(*o.budget() >= 0, op, ": budget must be >= 0, got ", *o.budget());
    check_allocation(op, "budget", *o.budget(), kPlanBytesPerDraw);
  }
  TORCH_CHECK_VALUE(std::isfinite(o.q()), op, ": q must be finite, got ", o.q());
  TORCH_CHECK_VALUE(o.total_epochs() > 0, op, ": total_epochs must be > 0, got ",
                    o.total_epochs());
  TORCH_CHECK_VALUE(std::isfinite(o.ratio()) && o.ratio() > 0, op,
                    ": ratio must be finite and > 0, got ", o.ratio());
  TORCH_CHECK_VALUE(std::isfinite(o.step()) && o.step() >= 0, op,
                    ": step must be finite and >= 0, got ", o.step());
  TORCH_CHECK_VALUE(o.smoothing() >= 0 && o.smoothing() < 1, op,
                    ": smoothing must be in [0, 1), got ", o.smoothing());
  TORCH_CHECK_VALUE(std::isfinite(o.floor()) && o.floor() > 0, op,
                    ": floor must be finite and > 0, got ", o.floor());
  TORCH_CHECK_VALUE(o.base() >= 0 && o.base() <= 1, op, ": base must be in [0, 1], got ",
                    o.base());
  TORCH_CHECK_VALUE(std::isfinite(o.ceiling()) && o.ceiling() >= o.floor(), op,
                    ": ceiling must be finite and >= floor (", o.floor(), "), got ",
                    o.ceiling());
  if (o.kind() == PolicyKind::Explicit && !o.counts().empty()) {
    TORCH_CHECK_VALUE(static_cast<int64_t>(o.counts().size()) == num_classes, op,
                      ": explicit counts must have one entry per class (", num_classes,
                      "), got ", o.counts().size());
    for (size_t c = 0; c < o.counts().size(); ++c) {
      TORCH_CHECK_VALUE(o.counts()[c] >= -1, op, ": explicit count of class ", c,
                        " must be >= 0 (or -1 to keep N_c), got ", o.counts()[c]);
    }
  }
}

// Splits `budget` ∝ w within [lo_mult · b_c, hi_mult · b_c]: quotas q_c = clamp(s w_c, lo_c, hi_c)
// with s found by bisection on the nondecreasing Σ_c q_c(s), then bounded largest remainder.
std::vector<int64_t> bounded_proportional(const std::vector<double>& n,
                                          const std::vector<double>& w, double lo_mult,
                                          double hi_mult, int64_t budget) {
  const size_t num = n.size();
  std::vector<double> lo(num), hi(num), quota(num);
  std::vector<int64_t> lower(num), upper(num);
  int64_t sum_lower = 0;
  int64_t sum_upper = 0;
  // No class needs more than the whole budget; the sums saturate at kSaturated (far above
  // anything allocatable, which build_epoch_plan checks).
  constexpr int64_t kSaturated = int64_t{1} << 62;
  for (size_t c = 0; c < num; ++c) {
    lo[c] = lo_mult * n[c];
    hi[c] = hi_mult * n[c];
    lower[c] = -clamped_floor(-lo[c], -kSaturated, 0);
    upper[c] = std::max(lower[c], clamped_floor(hi[c], 0, std::max<int64_t>(budget, 0)));
    sum_lower = std::min(kSaturated, sum_lower + lower[c]);
    sum_upper = std::min(kSaturated, sum_upper + upper[c]);
  }
  check_allocation(kOp, "the draws the floor guarantees", sum_lower, kPlanBytesPerDraw);
  const int64_t total = std::min(sum_upper, std::max(sum_lower, budget));
  auto filled = [&](double s) {
    double sum = 0;
    for (size_t c = 0; c < num; ++c) sum += std::min(hi[c], std::max(lo[c], s * w[c]));
    return sum;
  };
  const auto target = static_cast<double>(total);
  double a = 0;
  double b = 1;
  while (filled(b) < target && b < 1e300) b *= 2;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (a + b);
    (filled(mid) < target ? a : b) = mid;
  }
  for (size_t c = 0; c < num; ++c) quota[c] = std::min(hi[c], std::max(lo[c], b * w[c]));
  return bounded_largest_remainder(quota, lower, upper, total);
}

// The dynamic policy's base b_c = N_c^p B / Σ N^p (0 for an empty class): instance counts at
// p = 1, square-root sampling at p = 0.5, always summing to the epoch's budget B. The bounds
// [floor, ceiling] · b_c are relative to it, so an epoch shorter than Σ N keeps the controller's
// range instead of pinning every class to its floor.
std::vector<double> dynamic_base(const std::vector<int64_t>& counts, double p, int64_t budget) {
  std::vector<double> b(counts.size(), 0.0);
  double total_p = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;
    b[c] = std::pow(static_cast<double>(counts[c]), p);
    total_p += b[c];
  }
  if (total_p == 0) return b;
  for (double& v : b) v *= static_cast<double>(budget) / total_p;
  return b;
}

} // namespace

SamplingPolicy::SamplingPolicy(SamplingPolicyOptions options, std::vector<int64_t> class_counts)
    : options_(std::move(options)),
      class_counts_(std::move(class_counts)),
      multipliers_(class_counts_.size(), 1.0) {
  TORCH_CHECK_VALUE(!class_counts_.empty(), kOp, ": needs at least one class");
  for (size_t c = 0; c < class_counts_.size(); ++c) {
    TORCH_CHECK_VALUE(class_counts_[c] >= 0, kOp, ": class count of class ", c,
                      " must be >= 0, got ", class_counts_[c]);
  }
  check_options(options_, num_classes());
  if (options_.kind() == PolicyKind::Explicit) {
    int64_t total = 0;
    for (size_t c = 0; c < class_counts_.size(); ++c) {
      const int64_t wanted = options_.counts().empty() ? -1 : options_.counts()[c];
      total = checked_add(kOp, "the sum of the explicit counts", total,
                          class_counts_[c] == 0 ? 0 : (wanted < 0 ? class_counts_[c] : wanted));
    }
    check_allocation(kOp, "the sum of the explicit counts", total, kPlanBytesPerDraw);
  }
}

int64_t SamplingPolicy::budget() const {
  if (options_.budget().has_value()) return *options_.budget();
  return std::accumulate(class_counts_.begin(), class_counts_.end(), int64_t{0});
}

std::vector<double> SamplingPolicy::weights(int64_t epoch) const {
  const size_t num = class_counts_.size();
  std::vector<double> w(num, 0.0);
  const double total = static_cast<double>(
      std::accumulate(class_counts_.begin(), class_counts_.end(), int64_t{0}));
  const double present = static_cast<double>(
      std::count_if(class_counts_.begin(), class_counts_.end(), [](int64_t n) { return n > 0; }));
  bool any_f1_weight = false;
  // Power and dynamic weights that overflow or underflow (N_c^q at a large |q|, N_c m_c at a
  // huge ceiling)
  // are divided by a reference (N_c / N_ref)^q, m_c / max m; the split is scale-invariant.
  double largest = 0, smallest = 0, max_multiplier = 0;
  for (size_t c = 0; c < num; ++c) {
    if (class_counts_[c] == 0) continue;
    const double n = static_cast<double>(class_counts_[c]);
    largest = std::max(largest, n);
    smallest = smallest == 0 ? n : std::min(smallest, n);
    max_multiplier = std::max(max_multiplier, multipliers_[c]);
  }
  const auto base = options_.kind() == PolicyKind::Dynamic
                        ? dynamic_base(class_counts_, options_.base(), budget())
                        : std::vector<double>();
  bool overflow = false;
  for (size_t c = 0; c < num; ++c) {
    if (class_counts_[c] == 0) continue;
    const double n = static_cast<double>(class_counts_[c]);
    if (options_.kind() == PolicyKind::Power) {
      const double v = std::pow(n, options_.q());
      overflow = overflow || !(std::isfinite(v) && v > 0);  // underflow to 0 too
    } else if (options_.kind() == PolicyKind::Dynamic) {
      overflow = overflow || !std::isfinite(base[c] * multipliers_[c]);
    }
  }
  const double ref_n = !overflow ? 1.0 : (options_.q() >= 0 ? largest : smallest);
  const double ref_m = !overflow ? 1.0 : max_multiplier;
  for (size_t c = 0; c < num; ++c) {
    if (class_counts_[c] == 0) continue;
    const double n = static_cast<double>(class_counts_[c]);
    switch (options_.kind()) {
      case PolicyKind::ClassBalanced:
        w[c] = 1.0;
        break;
      case PolicyKind::Power:
        w[c] = std::pow(n / ref_n, options_.q());
        break;
      case PolicyKind::Progressive: {
        const double t = static_cast<double>(std::min(epoch, options_.total_epochs())) /
                         static_cast<double>(options_.total_epochs());
        w[c] = (1.0 - t) * n / total + t / present;
        break;
      }
      case PolicyKind::F1Adaptive:
        w[c] = scores_.empty() ? 0.0 : 1.0 - scores_[c];
        any_f1_weight = any_f1_weight || w[c] > 0;
        break;
      case PolicyKind::Dynamic:
        w[c] = base[c] * (multipliers_[c] / ref_m);
        break;
      default:
        w[c] = n;
    }
  }
  if (options_.kind() == PolicyKind::F1Adaptive && !any_f1_weight) {
    for (size_t c = 0; c < num; ++c) w[c] = static_cast<double>(class_counts_[c]);
  }
  return w;
}

std::vector<int64_t> SamplingPolicy::draw_counts(int64_t epoch) const {
  TORCH_CHECK_VALUE(epoch >= 0, kOp, ": epoch must be >= 0, got ", epoch);
  const size_t num = class_counts_.size();
  int64_t smallest = 0;
  int64_t largest = 0;
  for (int64_t n : class_counts_) {
    if (n > 0 && (smallest == 0 || n < smallest)) smallest = n;
    largest = std::max(largest, n);
  }
  std::vector<int64_t> counts(num, 0);
  switch (options_.kind()) {
    case PolicyKind::Undersample: {
      const int64_t target = clamped_floor(options_.ratio() * static_cast<double>(smallest), 0,
                                           std::numeric_limits<int64_t>::max());
      for (size_t c = 0; c < num; ++c) counts[c] = std::min(class_counts_[c], target);
      return counts;
    }
    case PolicyKind::Oversample:
      for (size_t c = 0; c < num; ++c) counts[c] = class_counts_[c] > 0 ? largest : 0;
      return counts;
    case PolicyKind::Explicit:
      for (size_t c = 0; c < num; ++c) {
        const int64_t wanted = options_.counts().empty() ? -1 : options_.counts()[c];
        counts[c] = class_counts_[c] == 0 ? 0 : (wanted < 0 ? class_counts_[c] : wanted);
      }
      return counts;
    case PolicyKind::Dynamic: {
      // Only non-empty classes take part (an empty one is held at 0): the bisection then
      // costs O(present classes), not O(C).
      const auto w = weights(epoch);
      const auto base = dynamic_base(class_counts_, options_.base(), budget());
      std::vector<size_t> present;
      std::vector<double> n;
      std::vector<double> wp;
      for (size_t c = 0; c < num; ++c) {
        if (class_counts_[c] == 0) continue;
        present.push_back(c);
        n.push_back(base[c]);
        wp.push_back(w[c]);
      }
      const auto split =
          bounded_proportional(n, wp, options_.floor(), options_.ceiling(), budget());
      for (size_t i = 0; i < present.size(); ++i) counts[present[i]] = split[i];
      return counts;
    }
    default:
      return largest_remainder(weights(epoch), budget());
  }
}

void SamplingPolicy::update(const at::Tensor& scores) {
  TORCH_CHECK_VALUE(scores.defined() && scores.dim() == 1 && scores.numel() == num_classes(),
                    kOp, ".update: scores must have shape (", num_classes(), ",), got ",
                    scores.defined() ? scores.sizes() : at::IntArrayRef{});
  TORCH_CHECK_TYPE(at::isFloatingType(scores.scalar_type()) ||
                       at::isIntegralType(scores.scalar_type(), /*includeBool=*/false),
                   kOp, ".update: scores must be real numbers, got ",
                   scores.scalar_type());
  const at::Tensor s = scores.detach().to(at::kCPU, at::kDouble).contiguous();
  const double* data = s.data_ptr<double>();
  update(std::vector<double>(data, data + s.numel()));
}

void SamplingPolicy::update(const std::vector<double>& scores) {
  TORCH_CHECK_VALUE(static_cast<int64_t>(scores.size()) == num_classes(),
                    kOp, ".update: scores must have ", num_classes(),
                    " entries, got ", scores.size());
  double sum = 0;
  double present = 0;
  for (size_t c = 0; c < scores.size(); ++c) {
    TORCH_CHECK_VALUE(std::isfinite(scores[c]), kOp, ".update: score of class ", c,
                      " must be finite, got ", scores[c]);
    if (options_.kind() == PolicyKind::F1Adaptive) {
      TORCH_CHECK_VALUE(scores[c] >= 0 && scores[c] <= 1,
                        kOp, ".update: f1_adaptive scores must be in [0, 1], got ",
                        scores[c], " for class ", c);
    }
    if (class_counts_[c] > 0) {
      sum += scores[c];
      present += 1;
    }
  }
  const double mean = present > 0 ? sum / present : 0.0;
  const double beta = options_.smoothing();
  for (size_t c = 0; c < scores.size(); ++c) {
    if (class_counts_[c] == 0) continue;
    const double error = options_.step() * (mean - scores[c]);
    // integral: the multiplier keeps moving while a class stays below the mean (a controller
    // reaches the balance the scores ask for); otherwise it is pulled toward exp(error).
    const double next = options_.integral()
                            ? multipliers_[c] * std::exp(error)
                            : beta * multipliers_[c] + (1.0 - beta) * std::exp(error);
    multipliers_[c] = std::min(options_.ceiling(), std::max(options_.floor(), next));
  }
  scores_ = scores;
  ++num_updates_;
}

void SamplingPolicy::set_state(std::vector<double> multipliers, std::vector<double> scores,
                               int64_t num_updates) {
  TORCH_CHECK_VALUE(static_cast<int64_t>(multipliers.size()) == num_classes(),
                    kOp, ": expected ", num_classes(), " multipliers, got ", multipliers.size());
  TORCH_CHECK_VALUE(scores.empty() || static_cast<int64_t>(scores.size()) == num_classes(),
                    kOp, ": expected 0 or ", num_classes(), " scores, got ", scores.size());
  for (size_t c = 0; c < multipliers.size(); ++c) {
    TORCH_CHECK_VALUE(std::isfinite(multipliers[c]) && multipliers[c] > 0, kOp,
                      ": multiplier of class ", c, " must be finite and > 0, got ",
                      multipliers[c]);
  }
  for (size_t c = 0; c < scores.size(); ++c) {
    const double s = scores[c];
    const bool unit = options_.kind() != PolicyKind::F1Adaptive || (s >= 0 && s <= 1);
    TORCH_CHECK_VALUE(std::isfinite(s) && unit, kOp, ": score of class ", c,
                      " must be finite (in [0, 1] for f1_adaptive), got ", s);
  }
  TORCH_CHECK_VALUE(num_updates >= 0, kOp, ": num_updates must be >= 0, got ", num_updates);
  multipliers_ = std::move(multipliers);
  scores_ = std::move(scores);
  num_updates_ = num_updates;
}

} // namespace sampling
} // namespace rebalance
