#pragma once

#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <cstdint>
#include <vector>

namespace rebalance {
namespace resampling {

/// What a resampler does to the classes a strategy selects (imbalanced-learn's sampling_type).
enum class SamplingType { Over, Under, Clean };

/// Parses "over-sampling", "under-sampling" or "clean-sampling".
SamplingType parse_sampling_type(const char* op, rebalance::string_view name);

/// Resolves a sampling strategy with imbalanced-learn 0.10's semantics.
/// counts: samples per class (size C; 0 = class absent, never targeted).
/// Precedence: `targets` if given, else `ratio` if >= 0, else the string `strategy`.
/// - strategy: "auto" ("not minority" for Under/Clean, "not majority" for Over), "majority"
///   (not for Over), "minority" (Over only), "not minority", "not majority", "all". The
///   majority/minority is the lowest class label among those with the largest/smallest count.
/// - ratio (binary only, in (0, 1]): Over: the minority gets int(n_majority·ratio − n_minority)
///   new samples (> 0 required); Under: the majority keeps int(n_minority / ratio) samples.
///   Not for Clean.
/// - targets (int64, size C): the number of samples each class has after resampling, -1 to leave
///   a class untouched (imbalanced-learn's dict). For Clean it is a class mask (imbalanced-learn's
///   list): every value other than -1 targets the class.
/// Returns one value per class, -1 for untouched classes: Over: samples to generate; Under: samples
/// to keep; Clean: the minority count (a targeted class is cleaned).
std::vector<int64_t> resolve_sampling_strategy(const char* op, const std::vector<int64_t>& counts,
                                               SamplingType type, rebalance::string_view strategy,
                                               double ratio,
                                               const rebalance::optional<at::Tensor>& targets);

/// The classes of labels y, checked against the rows of x (see check_labels): the checked int64
/// labels, the class counts N_c, the strategy's per-class values for `type` (as
/// resolve_sampling_strategy) and the row indices of every class.
struct ResolvedClasses {
  at::Tensor labels;
  std::vector<int64_t> counts;
  std::vector<int64_t> target;
  std::vector<std::vector<int64_t>> members;
};
ResolvedClasses resolve_classes(const char* op, const at::Tensor& x, const at::Tensor& y,
                                SamplingType type, rebalance::string_view strategy, double ratio,
                                const rebalance::optional<at::Tensor>& targets);

} // namespace resampling

/// Op rebalance::sampling_strategy: resolve_sampling_strategy for labels y (int, 1-D, values in
/// [0, C) with C = num_classes, or max(y) + 1 when num_classes <= 0). Returns int64 (C).
at::Tensor sampling_strategy(const at::Tensor& y, rebalance::string_view sampling_type,
                             rebalance::string_view strategy = "auto", double ratio = -1,
                             const rebalance::optional<at::Tensor>& counts = rebalance::nullopt,
                             int64_t num_classes = -1);

} // namespace rebalance
