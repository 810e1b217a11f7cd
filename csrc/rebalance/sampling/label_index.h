#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace rebalance {
namespace sampling {

/// Sample indices grouped by class: one counting sort of the labels at construction, O(N + C)
/// time, N int64 of memory. The indices of class c are samples(c) .. samples(c) + count(c), in
/// increasing order.
class LabelIndex {
 public:
  /// `labels`: integer tensor of shape (N,), N >= 1, every value in [0, num_classes) (else
  /// IndexError); `num_classes` >= 1.
  LabelIndex(const at::Tensor& labels, int64_t num_classes);

  /// N.
  int64_t size() const { return static_cast<int64_t>(order_.size()); }
  /// C.
  int64_t num_classes() const { return static_cast<int64_t>(counts_.size()); }
  /// N_c, size C.
  const std::vector<int64_t>& counts() const { return counts_; }
  /// First of the count(c) sample indices of class c.
  const int64_t* samples(int64_t c) const { return order_.data() + offsets_[c]; }
  /// The labels again, int64 (N,), rebuilt from the index.
  at::Tensor labels() const;

 private:
  std::vector<int64_t> counts_;
  std::vector<int64_t> offsets_;
  std::vector<int64_t> order_;
};

} // namespace sampling
} // namespace rebalance
