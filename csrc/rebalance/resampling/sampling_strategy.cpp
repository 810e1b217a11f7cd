#include "rebalance/resampling/sampling_strategy.h"

#include "rebalance/resampling/checks.h"

#include <cmath>
#include <string>
#include "rebalance/resampling/schema_args.h"
#include <torch/library.h>

namespace rebalance {
namespace resampling {

SamplingType parse_sampling_type(const char* op, rebalance::string_view name) {
  if (name == "over-sampling") {
    return SamplingType::Over;
  }
  if (name == "under-sampling") {
    return SamplingType::Under;
  }
  TORCH_CHECK_VALUE(name == "clean-sampling", op,
                    ": sampling_type must be \"over-sampling\", \"under-sampling\" or ",
                    "\"clean-sampling\", got \"", std::string(name), "\"");
  return SamplingType::Clean;
}

namespace {

struct Extremes {
  int64_t majority = -1;
  int64_t minority = -1;
  int64_t present = 0;
};

Extremes extremes(const std::vector<int64_t>& counts) {
  Extremes e;
  for (int64_t c = 0; c < static_cast<int64_t>(counts.size()); ++c) {
    if (counts[c] == 0) {
      continue;
    }
    ++e.present;
    if (e.majority < 0 || counts[c] > counts[e.majority]) {
      e.majority = c;
    }
    if (e.minority < 0 || counts[c] < counts[e.minority]) {
      e.minority = c;
    }
  }
  return e;
}

std::vector<int64_t> from_targets(const char* op, const std::vector<int64_t>& counts,
                                  SamplingType type, const at::Tensor& targets) {
  const auto n = static_cast<int64_t>(counts.size());
  TORCH_CHECK_VALUE(targets.dim() == 1 && targets.size(0) == n, op,
                    ": counts must be a 1-D tensor with one entry per class (", n, "), got shape ",
                    targets.sizes());
  TORCH_CHECK_TYPE(!at::isFloatingType(targets.scalar_type()), op,
                   ": counts must be an integer tensor, got ", targets.scalar_type());
  const auto t = targets.to(at::kCPU, at::kLong).contiguous();
  const auto* p = t.data_ptr<int64_t>();
  const auto e = extremes(counts);
  std::vector<int64_t> out(n, -1);
  for (int64_t c = 0; c < n; ++c) {
    if (p[c] == -1) {
      continue;
    }
    TORCH_CHECK_VALUE(p[c] >= 0, op, ": counts must be >= 0 or -1 (untouched), got ", p[c],
                      " for class ", c);
    TORCH_CHECK_VALUE(counts[c] > 0, op, ": counts targets class ", c,
                      " which is not present in the labels");
    if (type == SamplingType::Over) {
      TORCH_CHECK_VALUE(p[c] >= counts[c], op, ": with over-sampling a class cannot shrink: ",
                        "class ", c, " has ", counts[c], " samples, counts asks for ", p[c]);
      out[c] = p[c] - counts[c];
    } else if (type == SamplingType::Under) {
      TORCH_CHECK_VALUE(p[c] <= counts[c], op, ": with under-sampling a class cannot grow: ",
                        "class ", c, " has ", counts[c], " samples, counts asks for ", p[c]);
      out[c] = p[c];
    } else {
      out[c] = counts[e.minority];
    }
  }
  return out;
}

std::vector<int64_t> from_ratio(const char* op, const std::vector<int64_t>& counts,
                                SamplingType type, double ratio) {
  const auto e = extremes(counts);
  TORCH_CHECK_VALUE(type != SamplingType::Clean, op,
                    ": cleaning methods do not take a sampling ratio, got ratio = ", ratio);
  TORCH_CHECK_VALUE(e.present == 2, op, ": a float ratio needs exactly two classes (binary), got ",
                    e.present, " classes; use per-class counts");
  TORCH_CHECK_VALUE(ratio > 0 && ratio <= 1, op, ": ratio must be in (0, 1], got ", ratio);
  std::vector<int64_t> out(counts.size(), -1);
  // imbalanced-learn targets "the class that is not the majority" (over) or "not the minority"
  // (under); with equal counts the majority and the minority are both the lower label.
  const auto other = [&](int64_t skip) {
    for (int64_t c = 0; c < static_cast<int64_t>(counts.size()); ++c) {
      if (counts[c] > 0 && c != skip) {
        return c;
      }
    }
    return skip;
  };
  // Targets are computed in double and checked there before the conversion to int64.
  if (type == SamplingType::Over) {
    const auto c = other(e.majority);
    const double n =
        std::floor(static_cast<double>(counts[e.majority]) * ratio - static_cast<double>(counts[c]));
    TORCH_CHECK_VALUE(n > 0, op, ": ratio ", ratio, " would remove samples from the minority ",
                      "class instead of generating some; increase it");
    out[c] = clamped_floor(n, 0, counts[e.majority]);
  } else {
    const double n = std::floor(static_cast<double>(counts[e.minority]) / ratio);
    const auto c = other(e.minority);
    TORCH_CHECK_VALUE(n <= static_cast<double>(counts[c]), op, ": ratio ", ratio,
                      " would add samples to the majority class instead of removing some (",
                      counts[e.minority], " / ratio = ", n, " > ", counts[c], "); increase it");
    out[c] = clamped_floor(n, 0, counts[c]);
  }
  return out;
}

} // namespace

std::vector<int64_t> resolve_sampling_strategy(const char* op, const std::vector<int64_t>& counts,
                                               SamplingType type, rebalance::string_view strategy,
                                               double ratio,
                                               const rebalance::optional<at::Tensor>& targets) {
  TORCH_CHECK_VALUE(!std::isnan(ratio), op, ": ratio must be a number (< 0: not given), got NaN");
  if (targets.has_value() && targets->defined()) {
    return from_targets(op, counts, type, *targets);
  }
  if (ratio >= 0) {
    return from_ratio(op, counts, type, ratio);
  }
  const auto e = extremes(counts);
  std::vector<int64_t> out(counts.size(), -1);
  if (e.present == 0) {
    return out;
  }
  const std::string s(strategy);
  const bool over = type == SamplingType::Over;
  TORCH_CHECK_VALUE(s == "auto" || s == "majority" || s == "minority" || s == "not minority" ||
                        s == "not majority" || s == "all",
                    op, ": sampling strategy must be \"auto\", \"majority\", \"minority\", ",
                    "\"not minority\", \"not majority\" or \"all\", got \"", s, "\"");
  TORCH_CHECK_VALUE(!(over && s == "majority"), op,
                    ": strategy \"majority\" cannot be used with over-sampling");
  TORCH_CHECK_VALUE(over || s != "minority", op,
                    ": strategy \"minority\" cannot be used with under- or clean-sampling");
  const auto kind = s != "auto" ? s : (over ? "not majority" : "not minority");
  for (int64_t c = 0; c < static_cast<int64_t>(counts.size()); ++c) {
    if (counts[c] == 0) {
      continue;
    }
    const bool selected = kind == "all" || (kind == "majority" && c == e.majority) ||
                          (kind == "minority" && c == e.minority) ||
                          (kind == "not majority" && c != e.majority) ||
                          (kind == "not minority" && c != e.minority);
    if (selected) {
      out[c] = over ? counts[e.majority] - counts[c] : counts[e.minority];
    }
  }
  return out;
}

ResolvedClasses resolve_classes(const char* op, const at::Tensor& x, const at::Tensor& y,
                                SamplingType type, rebalance::string_view strategy, double ratio,
                                const rebalance::optional<at::Tensor>& targets) {
  ResolvedClasses c;
  c.labels = check_labels(op, x, y);
  c.counts = class_counts(c.labels);
  c.target = resolve_sampling_strategy(op, c.counts, type, strategy, ratio, targets);
  c.members = class_members(c.labels, static_cast<int64_t>(c.counts.size()));
  return c;
}

} // namespace resampling

at::Tensor sampling_strategy(const at::Tensor& y, rebalance::string_view sampling_type,
                             rebalance::string_view strategy, double ratio,
                             const rebalance::optional<at::Tensor>& counts, int64_t num_classes) {
  constexpr const char* op = "sampling_strategy";
  const auto type = resampling::parse_sampling_type(op, sampling_type);
  TORCH_CHECK_VALUE(y.dim() == 1, op, ": labels must be a 1-D tensor, got shape ", y.sizes());
  if (num_classes > 0) check_num_classes(op, "num_classes", num_classes);
  const auto labels = resampling::check_labels(op, y.unsqueeze(1), y, num_classes);
  const auto n = resampling::class_counts(labels, num_classes);
  const auto target = resampling::resolve_sampling_strategy(op, n, type, strategy, ratio, counts);
  return resampling::to_tensor(target).to(y.device());
}

} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("sampling_strategy(Tensor y, str sampling_type, " REBALANCE_STRATEGY_ARGS
        ", int num_classes=-1) -> Tensor");
}

TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("sampling_strategy", &rebalance::sampling_strategy);
}
