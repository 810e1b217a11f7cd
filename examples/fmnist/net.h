#pragma once

#include <torch/torch.h>

namespace fmnist {

/// The recipe's small CNN for 1×28×28 images: conv16-pool-conv32-pool-fc128-fc10 (ReLU). The
/// Python recipes (scripts/fmnist_lt_common.py) define the same module with the same parameter
/// names, so state and scripted models move between the two.
struct NetImpl : torch::nn::Module {
  NetImpl();
  /// Logits (N, 10) of images (N, 1, 28, 28).
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

} // namespace fmnist
