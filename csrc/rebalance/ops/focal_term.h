#pragma once

// The focal loss's per-class math, written once for the CPU kernels (ops/cpu/, scalar paths;
// their vectorised paths apply the same formulas lane-wise) and the CUDA kernels (ops/cuda/).
// Host and device code: no ATen types, only c10's portability macros.
#include <c10/macros/Macros.h>

#include <cmath>

namespace rebalance {
namespace focal {

/// 0, 1, 2 for the gammas with exact shortcuts in modulator(), 3 for any other.
inline int modulator_kind(double gamma) {
  return gamma == 0 ? 0 : gamma == 1 ? 1 : gamma == 2 ? 2 : 3;
}

/// The focal modulator m^gamma (kind = modulator_kind(gamma)): m^0 = 1 also at m = 0 (as
/// torchvision's pow), 0^gamma = 0 for gamma > 0.
template <typename T>
C10_HOST_DEVICE C10_ALWAYS_INLINE T modulator(T m, T gamma, int kind) {
#ifndef __CUDA_ARCH__
  using std::pow;
#endif
  switch (kind) {
    case 0: return T(1);
    case 1: return m;
    case 2: return m * m;
    default: return pow(m, gamma);
  }
}

/// Focal factors of a class with -log p = nl and probability p:  a = 1 - p = -expm1(-nl),
/// f = a^g, G = f (1 + g p r) with r = nl / a (-> 1 as a -> 0), so that
/// d[f nl]/dz_j = G (p_j - [j = c]) without pow(a, g - 1).
template <typename T>
C10_HOST_DEVICE C10_ALWAYS_INLINE void class_term(T nl, T p, T gamma, int kind, T& a, T& f,
                                                  T& G) {
#ifndef __CUDA_ARCH__
  using std::expm1;
#endif
  a = -expm1(-nl);
  f = modulator(a, gamma, kind);
  const T r = a > T(0) ? nl / a : T(1);
  G = f * (T(1) + gamma * p * r);
}

} // namespace focal
} // namespace rebalance
