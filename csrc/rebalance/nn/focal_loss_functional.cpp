#include "rebalance/nn/focal_loss_functional.h"
#include "rebalance/compat.h"

#include "rebalance/ops/sigmoid_focal_loss.h"
#include "rebalance/ops/softmax_focal_loss.h"

namespace rebalance {
namespace nn {
namespace functional {
namespace detail {

const char* reduction_name(const FocalLossOptions::reduction_t& reduction) {
  if (rebalance::get_if<torch::enumtype::kNone>(&reduction)) return "none";
  if (rebalance::get_if<torch::enumtype::kSum>(&reduction)) return "sum";
  return "mean";
}

} // namespace detail

namespace {

using detail::reduction_name;

rebalance::optional<torch::Tensor> optional_weight(const torch::Tensor& weight) {
  if (!weight.defined()) return rebalance::nullopt;
  return weight;
}

} // namespace

torch::Tensor sigmoid_focal_loss(const torch::Tensor& input, const torch::Tensor& target,
                                 const FocalLossOptions& options) {
  return rebalance::sigmoid_focal_loss(input, target, options.alpha(), options.gamma(),
                                       optional_weight(options.class_weight()),
                                       reduction_name(options.reduction()));
}

torch::Tensor softmax_focal_loss(const torch::Tensor& input, const torch::Tensor& target,
                                 const FocalLossOptions& options) {
  return rebalance::softmax_focal_loss(input, target, options.gamma(),
                                       optional_weight(options.class_weight()),
                                       reduction_name(options.reduction()),
                                       options.ignore_index(), options.label_smoothing());
}

} // namespace functional
} // namespace nn
} // namespace rebalance
