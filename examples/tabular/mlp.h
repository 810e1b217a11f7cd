#pragma once

#include <torch/torch.h>

namespace tabular {

/// The recipe's MLP: fc1 (d → 128), ReLU, fc2 (128 → 128), ReLU, head (128 → C). The Python
/// peers (scripts/train_tabular.py) define the same module with the same parameter names.
struct MlpImpl : torch::nn::Module {
  MlpImpl(int64_t in_features, int64_t num_classes, int64_t hidden = 128);
  /// Logits (N, C) of rows (N, d).
  torch::Tensor forward(torch::Tensor x);
  /// The feature layers (frozen when a phase trains the head only).
  std::vector<torch::Tensor> feature_parameters() const;

  torch::nn::Linear fc1, fc2, head;
};
TORCH_MODULE(Mlp);

} // namespace tabular
