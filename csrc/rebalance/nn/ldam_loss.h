#pragma once

#include "rebalance/nn/ldam_loss_functional.h"
#include "rebalance/nn/ldam_loss_options.h"

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

namespace rebalance {
namespace nn {

/// LDAM loss module (Cao et al. 2019). The margins and the class weight, if given, are buffers
/// so they follow .to(device) and serialization.
class LDAMLossImpl : public torch::nn::Cloneable<LDAMLossImpl> {
 public:
  explicit LDAMLossImpl(LDAMLossOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// input: logits (N, C, d1, ...); target: int64 class indices (N, d1, ...).
  torch::Tensor forward(const torch::Tensor& input, const torch::Tensor& target);

  /// The options this module was built with.
  LDAMLossOptions options;
  /// The registered "margins" buffer.
  torch::Tensor margins;
  /// The registered "class_weight" buffer (undefined without class weights).
  torch::Tensor class_weight;
};
TORCH_MODULE(LDAMLoss);

} // namespace nn
} // namespace rebalance
