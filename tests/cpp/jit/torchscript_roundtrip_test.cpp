// A TorchScript module scripted and saved in Python, loaded with torch::jit::load in C++.
#include "rebalance/ops/sigmoid_focal_loss.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

namespace {

TEST(TorchScriptRoundTrip, PythonScriptedLossesRunInCpp) {
  const std::string path = std::string(REBALANCE_BINARY_DIR) + "/scripted_losses_test.pt";
  const std::string command = std::string("REBALANCE_BUILD_DIR=") + REBALANCE_BINARY_DIR +
                              " PYTHONPATH=" + REBALANCE_SOURCE_DIR + "/plugin/python " +
                              REBALANCE_PYTHON_EXECUTABLE " " + REBALANCE_SOURCE_DIR +
                              "/tests/cpp/jit/make_scripted_losses.py " + path;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  torch::jit::script::Module bundle = torch::jit::load(path);
  auto logits = bundle.attr("logits").toTensor().clone().requires_grad_(true);
  auto target = bundle.attr("target").toTensor();
  auto soft_target = bundle.attr("soft_target").toTensor();
  auto outputs = bundle.forward({logits, target, soft_target}).toTuple();
  auto softmax_loss = outputs->elements()[0].toTensor();
  auto sigmoid_loss = outputs->elements()[1].toTensor();
  EXPECT_TRUE(torch::allclose(softmax_loss, bundle.attr("expected_softmax").toTensor(), 1e-10,
                              1e-12));
  EXPECT_TRUE(torch::allclose(sigmoid_loss, bundle.attr("expected_sigmoid").toTensor(), 1e-10,
                              1e-12));

  // Gradients flow through the loaded module like through the direct C++ call.
  auto grad = torch::autograd::grad({sigmoid_loss}, {logits})[0];
  auto direct_logits = logits.detach().clone().requires_grad_(true);
  auto direct = rebalance::sigmoid_focal_loss(direct_logits, soft_target, 0.25, 2.0);
  auto direct_grad = torch::autograd::grad({direct}, {direct_logits})[0];
  EXPECT_TRUE(torch::allclose(grad, direct_grad));
}

} // namespace
