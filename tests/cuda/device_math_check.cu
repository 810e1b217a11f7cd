// Host run of the CUDA kernels' per-element math (the __host__ __device__ functions of
// csrc/rebalance/ops/cuda/*.cuh), against independent formulas and finite differences. Needs
// nvcc but no GPU; run by scripts/cuda_build_check.sh. Exit status 0 when every check holds.
#include "rebalance/ops/cuda/confusion_matrix_kernels.cuh"
#include "rebalance/ops/cuda/focal_loss_kernels.cuh"

#include <cmath>
#include <cstdio>
#include <limits>

namespace {

using rebalance::cuda::ArgMax;
using rebalance::cuda::SigmoidFocalParams;
using rebalance::cuda::SoftmaxFocalParams;

int failures = 0;

void expect_near(double got, double want, double tol, const char* what, double a, double b) {
  if (!(std::fabs(got - want) <= tol * (1 + std::fabs(want)))) {
    std::printf("FAIL %s (%g, %g): got %.17g, want %.17g\n", what, a, b, got, want);
    ++failures;
  }
}

/// torchvision's formula: alpha_t * BCEWithLogits(x, t) * (1 - p_t)^gamma.
double reference_sigmoid_focal(double x, double t, double alpha, double gamma) {
  const double p = 1 / (1 + std::exp(-x));
  const double ce = std::fmax(x, 0) - x * t + std::log1p(std::exp(-std::fabs(x)));
  const double p_t = p * t + (1 - p) * (1 - t);
  double loss = ce * std::pow(1 - p_t, gamma);
  if (alpha >= 0) loss *= alpha * t + (1 - alpha) * (1 - t);
  return loss;
}

void check_sigmoid() {
  for (double gamma : {0.0, 1.0, 2.0, 2.5}) {
    for (double alpha : {0.25, -1.0}) {
      const SigmoidFocalParams<double> prm{alpha, gamma, rebalance::focal::modulator_kind(gamma),
                                           alpha >= 0};
      for (double x : {-30.0, -4.0, -0.7, 0.0, 0.3, 2.0, 9.0, 35.0}) {
        for (double t : {0.0, 0.3, 1.0}) {
          double loss, grad;
          rebalance::cuda::sigmoid_focal_element(x, t, 1.5, prm, loss, grad);
          expect_near(loss, 1.5 * reference_sigmoid_focal(x, t, alpha, gamma), 1e-12,
                      "sigmoid loss", x, t);
          const double h = 1e-6;
          const double fd = 1.5 *
                            (reference_sigmoid_focal(x + h, t, alpha, gamma) -
                             reference_sigmoid_focal(x - h, t, alpha, gamma)) /
                            (2 * h);
          expect_near(grad, fd, 1e-6, "sigmoid gradient", x, t);
        }
      }
    }
  }
  // float: same values as double to float precision.
  const SigmoidFocalParams<float> prm{0.25f, 2.0f, 2, true};
  float loss, grad;
  rebalance::cuda::sigmoid_focal_element(3.0f, 1.0f, 1.0f, prm, loss, grad);
  expect_near(loss, reference_sigmoid_focal(3.0, 1.0, 0.25, 2.0), 1e-6, "sigmoid float", 3, 1);
}

/// d[f_c nl_c]/dz_j = G_c (p_j - [j = c]) for a 4-class row, against finite differences of
/// (1 - p_c)^gamma * -log p_c.
void check_softmax_term() {
  const double z[4] = {0.5, -1.25, 2.0, 0.1};
  auto focal_nl = [](const double* v, int c, double gamma) {
    double mx = v[0];
    for (int j = 1; j < 4; ++j) mx = std::fmax(mx, v[j]);
    double s = 0;
    for (int j = 0; j < 4; ++j) s += std::exp(v[j] - mx);
    const double nl = mx + std::log(s) - v[c];
    return std::pow(1 - std::exp(-nl), gamma) * nl;
  };
  for (double gamma : {0.0, 0.5, 2.0}) {
    const SoftmaxFocalParams<double> prm{gamma, rebalance::focal::modulator_kind(gamma), 0.0,
                                         4, -100};
    double s = 0;
    for (double v : z) s += std::exp(v);
    for (int c = 0; c < 4; ++c) {
      const double nl = std::log(s) - z[c];
      double a, f, G;
      rebalance::focal::class_term(nl, std::exp(-nl), prm.gamma, prm.gamma_kind, a, f, G);
      expect_near(f * nl, focal_nl(z, c, gamma), 1e-12, "softmax term", gamma, c);
      for (int j = 0; j < 4; ++j) {
        double zp[4], zm[4];
        for (int k = 0; k < 4; ++k) zp[k] = zm[k] = z[k];
        zp[j] += 1e-6;
        zm[j] -= 1e-6;
        const double fd = (focal_nl(zp, c, gamma) - focal_nl(zm, c, gamma)) / 2e-6;
        expect_near(G * (std::exp(z[j]) / s - (j == c)), fd, 1e-6, "softmax term gradient",
                    gamma, j);
      }
    }
  }
}

/// torch.argmax's rule: the first NaN wins, otherwise the first maximum.
void check_argmax() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double rows[3][5] = {{1, 3, 3, 2, 0}, {1, nan, 5, nan, 0}, {-1, -1, -1, -1, -1}};
  const int want[3] = {1, 1, 0};
  for (int r = 0; r < 3; ++r) {
    // Scan in a scrambled order, as lanes and shuffles do, and merge pairs both ways.
    const int order[5] = {3, 0, 4, 2, 1};
    ArgMax<double> best{rows[r][order[0]], order[0]};
    for (int k = 1; k < 5; ++k) {
      const int i = order[k];
      if (rebalance::cuda::argmax_better(rows[r][i], i, best)) best = {rows[r][i], i};
    }
    expect_near(static_cast<double>(best.index), want[r], 0, "argmax", r, 0);
  }
}

} // namespace

int main() {
  check_sigmoid();
  check_softmax_term();
  check_argmax();
  std::printf("device_math_check: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}
