// A consumer of the installed package: links rebalance::rebalance and trains one step.
#include <rebalance/rebalance.h>

#include <torch/torch.h>

#include <iostream>

int main() {
  torch::manual_seed(0);
  torch::nn::Linear model(4, 3);
  rebalance::nn::SoftmaxFocalLoss loss_fn(rebalance::nn::FocalLossOptions().gamma(2.0));
  auto x = torch::randn({8, 4});
  auto y = torch::randint(0, 3, {8});
  auto loss = loss_fn(model(x), y);
  loss.backward();
  const bool ok = std::isfinite(loss.item<double>()) && model->weight.grad().defined();
  std::cout << "downstream loss " << loss.item<double>() << (ok ? " ok" : " FAILED") << "\n";
  return ok ? 0 : 1;
}
