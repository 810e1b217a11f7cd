#include "rebalance/ops/autograd/focal_loss_backward.h"

#include <ATen/core/grad_mode.h>

namespace rebalance {
namespace autograd {

at::Tensor scale_saved_gradient(const char* op, const at::Tensor& grad_output,
                                const at::Tensor& saved, bool reduced,
                                const at::Tensor& normalizer) {
  TORCH_CHECK(!at::GradMode::is_enabled(), op,
              ": double backward is not supported (the backward uses the gradient saved by the "
              "fused forward); call backward without create_graph=True");
  TORCH_CHECK(saved.defined(), op,
              ": no gradient was saved in forward (the logits did not require grad then)");
  if (!reduced) return saved * grad_output.to(saved.scalar_type());
  return saved * (grad_output / normalizer).to(saved.scalar_type());
}

} // namespace autograd
} // namespace rebalance
