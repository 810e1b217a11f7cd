// CUDA kernels against the CPU kernels through the public C++ entry points (dispatcher).
// Skipped without a CUDA device or without the CUDA kernels in librebalance.so.
#include "rebalance/ops/confusion_matrix.h"
#include "rebalance/ops/sigmoid_focal_loss.h"
#include "rebalance/ops/softmax_focal_loss.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>

namespace {

bool cuda_kernels_available() {
  if (!torch::cuda::is_available()) return false;
  const auto op = c10::Dispatcher::singleton().findSchema({"rebalance::sigmoid_focal_loss", ""});
  return op.has_value() && op->hasKernelForDispatchKey(c10::DispatchKey::CUDA);
}

#define REBALANCE_SKIP_WITHOUT_CUDA()                                                  \
  if (!cuda_kernels_available()) {                                                     \
    GTEST_SKIP() << "no CUDA device, or librebalance.so built without CUDA kernels";   \
  }

using Loss = std::function<torch::Tensor(const torch::Tensor& logits, torch::Device device)>;

/// Value and d sum(value) / d logits on `device`, both returned on the CPU.
std::pair<torch::Tensor, torch::Tensor> value_and_grad(const Loss& fn, const torch::Tensor& x0,
                                                       torch::Device device) {
  auto x = x0.detach().to(device).requires_grad_(true);
  auto out = fn(x, device);
  auto grad = torch::autograd::grad({out.sum()}, {x})[0];
  return {out.detach().cpu(), grad.cpu()};
}

void expect_same_on_cuda(const Loss& fn, const torch::Tensor& x, double rtol, double atol,
                         const std::string& what) {
  const auto cpu = value_and_grad(fn, x, torch::kCPU);
  const auto gpu = value_and_grad(fn, x, torch::kCUDA);
  EXPECT_TRUE(torch::allclose(gpu.first, cpu.first, rtol, atol)) << what << " value";
  EXPECT_TRUE(torch::allclose(gpu.second, cpu.second, rtol, atol)) << what << " gradient";
}

TEST(CudaOpsSigmoidFocalLoss, MatchesCpuForEveryReductionAndDtype) {
  REBALANCE_SKIP_WITHOUT_CUDA();
  torch::manual_seed(0);
  const auto x = torch::randn({33, 10}, torch::kDouble) * 3;
  const auto t = (torch::rand({33, 10}, torch::kDouble) > 0.7).to(torch::kDouble);
  const auto w = torch::rand({10}, torch::kDouble) + 0.1;
  for (auto dtype : {torch::kFloat, torch::kDouble, torch::kHalf}) {
    const double tol = dtype == torch::kDouble ? 1e-11 : dtype == torch::kFloat ? 2e-5 : 2e-3;
    for (const char* reduction : {"none", "sum", "mean"}) {
      expect_same_on_cuda(
          [&](const torch::Tensor& z, torch::Device d) {
            return rebalance::sigmoid_focal_loss(z, t.to(d, dtype), 0.25, 2.0,
                                                 w.to(d, dtype), reduction);
          },
          x.to(dtype), tol, tol * 0.1, std::string("sigmoid ") + reduction);
    }
  }
}

TEST(CudaOpsSoftmaxFocalLoss, MatchesCpuWithWeightsIgnoreSmoothingAndTrailingDims) {
  REBALANCE_SKIP_WITHOUT_CUDA();
  torch::manual_seed(1);
  for (int64_t C : {3, 20, 50, 300}) {
    const auto x = torch::randn({6, C, 5}, torch::kDouble) * 2;
    auto y = torch::randint(0, C, {6, 5});
    y.index_put_({0, 1}, -1);
    const auto w = torch::rand({C}, torch::kDouble) + 0.1;
    for (const char* reduction : {"none", "sum", "mean"}) {
      for (double smoothing : {0.0, 0.2}) {
        expect_same_on_cuda(
            [&](const torch::Tensor& z, torch::Device d) {
              return rebalance::softmax_focal_loss(z, y.to(d), 2.0, w.to(d), reduction, -1,
                                                   smoothing);
            },
            x, 1e-11, 1e-13, "softmax C=" + std::to_string(C) + " " + reduction);
      }
    }
  }
}

TEST(CudaOpsSoftmaxFocalLoss, TargetOutOfRangeIsAnIndexError) {
  REBALANCE_SKIP_WITHOUT_CUDA();
  const auto x = torch::randn({4, 3}, torch::kCUDA);
  const auto y =
      torch::tensor({0, 1, 3, 2}, torch::TensorOptions(torch::kLong).device(torch::kCUDA));
  EXPECT_THROW(rebalance::softmax_focal_loss(x, y), c10::IndexError);
  EXPECT_THROW(rebalance::sigmoid_focal_loss(x / 0, torch::zeros_like(x)), c10::ValueError);
}

TEST(CudaOpsConfusionMatrix, MatchesCpuForLogitsAndPredictions) {
  REBALANCE_SKIP_WITHOUT_CUDA();
  torch::manual_seed(2);
  for (int64_t C : {4, 40, 90}) {
    const auto x = torch::randn({257, C, 3});
    auto y = torch::randint(0, C, {257, 3});
    y.index_put_({5, 1}, -100);
    const auto cpu = rebalance::confusion_matrix(x, y, C);
    EXPECT_TRUE(torch::equal(rebalance::confusion_matrix(x.cuda(), y.cuda(), C).cpu(), cpu)) << C;
    const auto rows = x.select(2, 0).contiguous();
    const auto rows_y = y.select(1, 0).contiguous();
    EXPECT_TRUE(torch::equal(rebalance::confusion_matrix(rows.cuda(), rows_y.cuda(), C).cpu(),
                             rebalance::confusion_matrix(rows, rows_y, C)))
        << C;
    const auto pred = rows.argmax(1);
    EXPECT_TRUE(torch::equal(rebalance::confusion_matrix(pred.cuda(), rows_y.cuda(), C).cpu(),
                             rebalance::confusion_matrix(pred, rows_y, C)))
        << C;
  }
}

} // namespace
