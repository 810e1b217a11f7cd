#pragma once

#include <ATen/ATen.h>

namespace rebalance {

/// Confusion matrix of a batch: entry (t, p) counts the elements whose true class is t and whose
/// predicted class is p (rows = true class), size num_classes × num_classes, int64.
/// input: logits (N, C, d1, ...) with C == num_classes (or (C) with a 0-dim target), floating
///   point; the prediction is the argmax over dim 1 (the first maximum wins and NaN counts as
///   the maximum, as in torch.argmax). Or int64 predictions with the shape of target.
/// target: int64 class indices, (N, d1, ...). Elements whose target equals ignore_index are
///   skipped (their prediction is not checked).
/// Errors: TypeError for a wrong dtype, ValueError for a shape mismatch or num_classes < 1,
/// IndexError for a target or prediction outside [0, num_classes).
at::Tensor confusion_matrix(const at::Tensor& input, const at::Tensor& target,
                            int64_t num_classes, int64_t ignore_index = -100);

namespace detail {

/// Validates the arguments of confusion_matrix (shared by every backend); returns true when
/// input holds logits, false when it holds predictions.
bool check_confusion_matrix_args(const at::Tensor& input, const at::Tensor& target,
                                 int64_t num_classes);

} // namespace detail
} // namespace rebalance
