#pragma once

#include <torch/torch.h>

#include <string>

namespace fmnist {

/// Images (N, 1, 28, 28) float in [0, 1] and labels (N,) int64 of one Fashion-MNIST split.
struct Split {
  torch::Tensor images;
  torch::Tensor labels;
};

/// Reads an IDX file pair (gzip-compressed or plain), e.g. dir/train-images-idx3-ubyte.gz and
/// dir/train-labels-idx1-ubyte.gz for prefix "train". Throws with the path on any problem.
Split load_split(const std::string& dir, const std::string& prefix);

/// Per-class sample counts of a long-tailed split of `per_class` images per class:
/// "exp": n_c = per_class * ratio^(-c / (C - 1)); "step": the first half of the classes keep
/// per_class, the rest per_class / ratio; "balanced" ("balanced_step"): the exp (step) profile's
/// total split equally, the first total % C classes one more (the balanced upper bound with as
/// many images). Every class keeps at least one sample.
std::vector<int64_t> long_tail_counts(int64_t num_classes, int64_t per_class, double ratio,
                                      const std::string& profile);

/// Indices (int64) of a seeded long-tailed subset of `labels` with `counts` per class, and of a
/// balanced validation subset of `val_per_class` other samples per class.
std::pair<torch::Tensor, torch::Tensor> long_tail_split(const torch::Tensor& labels,
                                                        const std::vector<int64_t>& counts,
                                                        int64_t val_per_class, uint64_t seed);

} // namespace fmnist
