#include "tabular/folds.h"

#include "tabular/table.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace tabular {
namespace {

// The rows of each class, in a permutation drawn from `generator` (classes in label order).
std::vector<torch::Tensor> shuffled_members(const torch::Tensor& labels, int64_t num_classes,
                                            torch::Generator& generator) {
  std::vector<torch::Tensor> members;
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto rows = torch::nonzero(labels == c).flatten();
    members.push_back(rows.index_select(0, torch::randperm(rows.numel(), generator)));
  }
  return members;
}

torch::Tensor sorted_cat(const std::vector<torch::Tensor>& parts) {
  return std::get<0>(torch::sort(torch::cat(parts)));
}

} // namespace

torch::Tensor imbalance_subsample(const torch::Tensor& labels, int64_t num_classes, double ratio,
                                  int64_t cut, int64_t seed) {
  if (ratio <= 0) return torch::arange(labels.size(0), torch::kLong);
  if (ratio < 1) {
    throw std::invalid_argument(fmt::format("--imbalance-ratio must be >= 1 (or 0: off), got {}",
                                            ratio));
  }
  if (cut <= 0) cut = num_classes - 1;
  if (cut >= num_classes) {
    throw std::invalid_argument(fmt::format(
        "--cut-classes must be below the number of classes {}, got {}", num_classes, cut));
  }
  const auto counts = class_counts(labels, num_classes);
  std::vector<int64_t> order(static_cast<size_t>(num_classes));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return counts[size_t(a)] > counts[size_t(b)]; });
  const double n_max = double(counts[size_t(order[0])]);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(uint64_t(seed));
  const auto members = shuffled_members(labels, num_classes, generator);
  std::vector<torch::Tensor> kept;
  for (int64_t rank = 0; rank < num_classes; ++rank) {
    const int64_t c = order[size_t(rank)];
    const int64_t j = rank - (num_classes - cut);  // 0-based among the cut classes
    int64_t keep = counts[size_t(c)];
    if (j >= 0) {
      const double target = std::floor(n_max * std::pow(ratio, -double(j + 1) / double(cut)));
      keep = std::clamp<int64_t>(int64_t(target), 1, keep);
    }
    kept.push_back(members[size_t(c)].slice(0, 0, keep));
  }
  return sorted_cat(kept);
}

FoldIndices stratified_fold(const torch::Tensor& labels, int64_t num_classes, int64_t folds,
                            int64_t fold, int64_t seed, double val_fraction) {
  if (folds < 2 || fold < 0 || fold >= folds) {
    throw std::invalid_argument(fmt::format("--folds must be >= 2 and --fold in [0, {}), got "
                                            "--folds {} --fold {}", folds, folds, fold));
  }
  if (!(val_fraction > 0 && val_fraction <= 0.5)) {
    throw std::invalid_argument(fmt::format("--val-fraction must be in (0, 0.5], got {}",
                                            val_fraction));
  }
  const auto counts = class_counts(labels, num_classes);
  for (int64_t c = 0; c < num_classes; ++c) {
    // a class needs a row in every test fold and, in each training fold, one to validate on
    // and one to train on
    if (counts[size_t(c)] < std::max<int64_t>(folds, 3)) {
      throw std::invalid_argument(fmt::format(
          "--folds {}: class {} has {} rows; stratified folds need at least max(--folds, 3) per "
          "class (lower --folds or --imbalance-ratio)", folds, c, counts[size_t(c)]));
    }
  }
  auto generator = at::make_generator<at::CPUGeneratorImpl>(uint64_t(seed));
  const auto members = shuffled_members(labels, num_classes, generator);
  std::vector<torch::Tensor> train, val, test;
  int64_t offset = 0;
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto& rows = members[size_t(c)];
    const auto slot = (torch::arange(rows.numel(), torch::kLong) + offset).remainder(folds);
    offset = (offset + rows.numel()) % folds;
    test.push_back(rows.masked_select(slot == fold));
    const auto rest = rows.masked_select(slot != fold);
    const int64_t n_val = std::clamp<int64_t>(
        int64_t(std::lround(val_fraction * double(rest.numel()))), 1, rest.numel() - 1);
    val.push_back(rest.slice(0, 0, n_val));
    train.push_back(rest.slice(0, n_val));
  }
  return {sorted_cat(train), sorted_cat(val), sorted_cat(test)};
}

FoldData fold_data(const torch::Tensor& features, const torch::Tensor& labels,
                   const FoldIndices& fold) {
  const auto train = features.index_select(0, fold.train);
  const auto mean = train.mean(0);
  auto scale = (train - mean).pow(2).mean(0).sqrt();
  scale = torch::where(scale > 0, scale, torch::ones_like(scale));
  const auto scaled = [&](const torch::Tensor& idx) {
    return ((features.index_select(0, idx) - mean) / scale).to(torch::kFloat);
  };
  return {scaled(fold.train), labels.index_select(0, fold.train),
          scaled(fold.val),   labels.index_select(0, fold.val),
          scaled(fold.test),  labels.index_select(0, fold.test)};
}

} // namespace tabular
