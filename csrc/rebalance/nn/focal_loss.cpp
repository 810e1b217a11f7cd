#include "rebalance/nn/focal_loss.h"

#include <torch/enum.h>

namespace rebalance {
namespace nn {

SigmoidFocalLossImpl::SigmoidFocalLossImpl(FocalLossOptions options_)
    : options(std::move(options_)) {
  reset();
}

void SigmoidFocalLossImpl::reset() {
  class_weight = options.class_weight().defined()
                     ? register_buffer("class_weight", options.class_weight())
                     : torch::Tensor();
}

void SigmoidFocalLossImpl::pretty_print(std::ostream& stream) const {
  stream << "rebalance::nn::SigmoidFocalLoss(alpha=" << options.alpha()
         << ", gamma=" << options.gamma()
         << ", reduction=" << torch::enumtype::get_enum_name(options.reduction()) << ")";
}

torch::Tensor SigmoidFocalLossImpl::forward(const torch::Tensor& input,
                                            const torch::Tensor& target) {
  FocalLossOptions current = options;
  current.class_weight(class_weight);
  return functional::sigmoid_focal_loss(input, target, current);
}

SoftmaxFocalLossImpl::SoftmaxFocalLossImpl(FocalLossOptions options_)
    : options(std::move(options_)) {
  reset();
}

void SoftmaxFocalLossImpl::reset() {
  class_weight = options.class_weight().defined()
                     ? register_buffer("class_weight", options.class_weight())
                     : torch::Tensor();
}

void SoftmaxFocalLossImpl::pretty_print(std::ostream& stream) const {
  stream << "rebalance::nn::SoftmaxFocalLoss(gamma=" << options.gamma()
         << ", reduction=" << torch::enumtype::get_enum_name(options.reduction())
         << ", ignore_index=" << options.ignore_index()
         << ", label_smoothing=" << options.label_smoothing() << ")";
}

torch::Tensor SoftmaxFocalLossImpl::forward(const torch::Tensor& input,
                                            const torch::Tensor& target) {
  FocalLossOptions current = options;
  current.class_weight(class_weight);
  return functional::softmax_focal_loss(input, target, current);
}

} // namespace nn
} // namespace rebalance
