#pragma once

// CUDA launchers of the rebalance operators (compiled only when REBALANCE_CUDA is on; see
// the end of each .cu file for its registration under the CUDA dispatch key). Each takes tensors on one
// CUDA device, runs on the current stream of that device and returns what the CPU kernel of
// the same op returns, with the same checks and error messages.
#include "rebalance/compat.h"
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

#include <tuple>

namespace rebalance {
namespace cuda {

/// CUDA kernel of rebalance::_sigmoid_focal_loss_forward: one fused pass that writes the loss
/// (or reduces it deterministically) and, when compute_grad, d(loss_i)/d(logits_i).
/// Returns (loss, grad, normalizer) with normalizer a float64 scalar on the logits' device.
/// The value checks (rebalance/ops/checks.h) are the only device-to-host copy.
std::tuple<at::Tensor, at::Tensor, at::Tensor> sigmoid_focal_loss_forward_cuda(
    const at::Tensor& logits, const at::Tensor& targets, double alpha, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction, bool compute_grad);

/// CUDA kernel of rebalance::_softmax_focal_loss_forward: rows (N * d1 * ..., C), one row
/// per group of lanes; the gradient rows are laid out as on the CPU. Returns
/// (loss, grad, normalizer) with normalizer a float64 scalar on the logits' device. The value
/// checks are the only device-to-host copy.
std::tuple<at::Tensor, at::Tensor, at::Tensor> softmax_focal_loss_forward_cuda(
    const at::Tensor& logits, const at::Tensor& target, double gamma,
    const rebalance::optional<at::Tensor>& class_weight, rebalance::string_view reduction,
    int64_t ignore_index, double label_smoothing, bool compute_grad);

/// CUDA kernel of rebalance::confusion_matrix: argmax of each logit row (or int64
/// predictions) and integer-atomic counts into a num_classes × num_classes int64 matrix on
/// the device of input (integer sums do not depend on the order of the atomics). The range
/// check is the only device-to-host copy.
at::Tensor confusion_matrix_cuda(const at::Tensor& input, const at::Tensor& target,
                                 int64_t num_classes, int64_t ignore_index);

} // namespace cuda
} // namespace rebalance
