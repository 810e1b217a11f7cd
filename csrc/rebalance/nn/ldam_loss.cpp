#include "rebalance/nn/ldam_loss.h"

#include "rebalance/nn/focal_loss_functional.h"
#include "rebalance/ops/ldam_loss.h"

#include <torch/enum.h>

namespace rebalance {
namespace nn {

LDAMLossImpl::LDAMLossImpl(LDAMLossOptions options_) : options(std::move(options_)) {
  reset();
}

void LDAMLossImpl::reset() {
  TORCH_CHECK_VALUE(options.margins().defined(),
                    "LDAMLoss: margins must be given (rebalance::ldam_margins(counts))");
  margins = register_buffer("margins", options.margins());
  class_weight = options.class_weight().defined()
                     ? register_buffer("class_weight", options.class_weight())
                     : torch::Tensor();
}

void LDAMLossImpl::pretty_print(std::ostream& stream) const {
  stream << "rebalance::nn::LDAMLoss(classes=" << margins.numel() << ", scale=" << options.scale()
         << ", reduction=" << torch::enumtype::get_enum_name(options.reduction())
         << ", ignore_index=" << options.ignore_index() << ")";
}

torch::Tensor LDAMLossImpl::forward(const torch::Tensor& input, const torch::Tensor& target) {
  LDAMLossOptions current = options;
  current.margins(margins).class_weight(class_weight);
  return functional::ldam_loss(input, target, current);
}

namespace functional {

torch::Tensor ldam_loss(const torch::Tensor& input, const torch::Tensor& target,
                        const LDAMLossOptions& options) {
  rebalance::optional<torch::Tensor> weight;
  if (options.class_weight().defined()) weight = options.class_weight();
  return rebalance::ldam_loss(input, target, options.margins(), options.scale(), weight,
                              detail::reduction_name(options.reduction()), options.ignore_index());
}

} // namespace functional
} // namespace nn
} // namespace rebalance
