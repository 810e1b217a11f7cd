#pragma once

// Included only by the CPU kernels (compiled once per CPU_CAPABILITY).
#include "rebalance/ops/focal_term.h"

#include <ATen/cpu/vec/vec.h>

namespace rebalance {
namespace cpu {
namespace CPU_CAPABILITY {

/// The focal modulator m^gamma (focal::modulator) on vectors and scalars, with exact shortcuts
/// for the common integer gammas.
template <typename T>
class FocalModulator {
 public:
  using Vec = at::vec::Vectorized<T>;

  explicit FocalModulator(T gamma)
      : gamma_(gamma), kind_(focal::modulator_kind(gamma)) {}

  Vec operator()(const Vec& m) const {
    switch (kind_) {
      case 0: return Vec(T(1));
      case 1: return m;
      case 2: return m * m;
      default: return m.pow(Vec(gamma_));
    }
  }

  T operator()(T m) const { return focal::modulator(m, gamma_, kind_); }

  T gamma() const { return gamma_; }
  /// focal::modulator_kind(gamma).
  int kind() const { return kind_; }

 private:
  T gamma_;
  int kind_;
};

/// log(1 + e) for e in [0, 1], accurate in relative terms down to e -> 0, from
/// log(1 + e) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with s = e / (2 + e) <= 1/3.
/// The series needs 9 terms for float and 18 for double; it is FMA-friendly and much faster
/// than a general log1p.
template <typename T>
at::vec::Vectorized<T> log1p_unit(const at::vec::Vectorized<T>& e) {
  using Vec = at::vec::Vectorized<T>;
  constexpr int kTerms = sizeof(T) == 4 ? 9 : 18;
  const Vec s = e / (Vec(T(2)) + e);
  const Vec z = s * s;
  Vec poly(T(1) / T(2 * kTerms - 1));
  for (int k = kTerms - 2; k >= 0; --k) poly = at::vec::fmadd(poly, z, Vec(T(1) / T(2 * k + 1)));
  return Vec(T(2)) * s * poly;
}

/// Sum of the lanes of v, in lane order.
template <typename T>
T lane_sum(const at::vec::Vectorized<T>& v) {
  T lanes[at::vec::Vectorized<T>::size()];
  v.store(lanes);
  T s = 0;
  for (int64_t i = 0; i < at::vec::Vectorized<T>::size(); ++i) s += lanes[i];
  return s;
}

/// Deterministic block size (elements or rows) for partial sums: results do not depend on the
/// number of threads.
constexpr int64_t kReductionBlock = 4096;

} // namespace CPU_CAPABILITY
} // namespace cpu
} // namespace rebalance
