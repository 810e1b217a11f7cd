#pragma once

#include "rebalance/nn/focal_loss_functional.h"
#include "rebalance/nn/focal_loss_options.h"

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

namespace rebalance {
namespace nn {

/// Sigmoid (one-vs-rest) focal loss module; a drop-in for BCEWithLogitsLoss-style heads.
/// The class weight, if given, is a buffer so it follows .to(device) and serialization.
class SigmoidFocalLossImpl : public torch::nn::Cloneable<SigmoidFocalLossImpl> {
 public:
  explicit SigmoidFocalLossImpl(FocalLossOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// input: logits of any shape; target: same shape, floating point in [0, 1].
  torch::Tensor forward(const torch::Tensor& input, const torch::Tensor& target);

  /// The options this module was built with.
  FocalLossOptions options;
  /// The registered "class_weight" buffer (undefined without class weights).
  torch::Tensor class_weight;
};
TORCH_MODULE(SigmoidFocalLoss);

/// Softmax focal loss module; a drop-in for torch::nn::CrossEntropyLoss
/// (gamma = 0 computes the same values and gradients).
class SoftmaxFocalLossImpl : public torch::nn::Cloneable<SoftmaxFocalLossImpl> {
 public:
  explicit SoftmaxFocalLossImpl(FocalLossOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// input: logits (N, C, d1, ...); target: int64 class indices (N, d1, ...).
  torch::Tensor forward(const torch::Tensor& input, const torch::Tensor& target);

  /// The options this module was built with.
  FocalLossOptions options;
  /// The registered "class_weight" buffer (undefined without class weights).
  torch::Tensor class_weight;
};
TORCH_MODULE(SoftmaxFocalLoss);

} // namespace nn
} // namespace rebalance
