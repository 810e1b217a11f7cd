#include "tabular/mlp.h"

namespace tabular {

MlpImpl::MlpImpl(int64_t in_features, int64_t num_classes, int64_t hidden)
    : fc1(register_module("fc1", torch::nn::Linear(in_features, hidden))),
      fc2(register_module("fc2", torch::nn::Linear(hidden, hidden))),
      head(register_module("head", torch::nn::Linear(hidden, num_classes))) {}

torch::Tensor MlpImpl::forward(torch::Tensor x) {
  return head(torch::relu(fc2(torch::relu(fc1(x)))));
}

std::vector<torch::Tensor> MlpImpl::feature_parameters() const {
  auto params = fc1->parameters();
  for (const auto& p : fc2->parameters()) params.push_back(p);
  return params;
}

} // namespace tabular
