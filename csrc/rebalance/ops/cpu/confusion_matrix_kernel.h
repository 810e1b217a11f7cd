#pragma once

#include <ATen/ATen.h>

namespace rebalance {
namespace cpu {

/// CPU kernel of rebalance::confusion_matrix: one pass over the batch that takes the argmax of
/// each logit row (when input holds logits) and counts (target, prediction) pairs into
/// per-thread num_classes × num_classes partial matrices, summed in block order. No one-hot and
/// no N-sized temporaries. Picks the AVX2 or the portable build at run time.
at::Tensor confusion_matrix_cpu(const at::Tensor& input, const at::Tensor& target,
                                int64_t num_classes, int64_t ignore_index);

} // namespace cpu
} // namespace rebalance
