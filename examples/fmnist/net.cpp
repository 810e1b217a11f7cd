#include "fmnist/net.h"

namespace fmnist {

NetImpl::NetImpl()
    : conv1(register_module("conv1",
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)))),
      conv2(register_module("conv2",
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)))),
      fc1(register_module("fc1", torch::nn::Linear(32 * 7 * 7, 128))),
      fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}

torch::Tensor NetImpl::forward(torch::Tensor x) {
  x = torch::max_pool2d(torch::relu(conv1(x)), 2);
  x = torch::max_pool2d(torch::relu(conv2(x)), 2);
  return fc2(torch::relu(fc1(x.flatten(1))));
}

} // namespace fmnist
