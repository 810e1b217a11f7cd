#include "rebalance/ops/cpu/knn_kernel.h"

#include "rebalance/ops/cpu/candidate_list.h"
#include "rebalance/ops/cpu/capability.h"

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace rebalance {
namespace cpu {
namespace CPU_CAPABILITY {
namespace {

using Vec = at::vec::Vectorized<float>;
constexpr int64_t V = Vec::size();
// A tile is MR query rows × NR references: 2·MR accumulators plus two reference vectors and one
// broadcast stay in registers (32 zmm, 16 ymm).
constexpr int64_t NR = 2 * V;
#if defined(CPU_CAPABILITY_AVX512)
constexpr int64_t MR = 12;
#elif defined(CPU_CAPABILITY_AVX2)
constexpr int64_t MR = 6;
#else
constexpr int64_t MR = 4;
#endif

// Lane-wise minimum (the values are never NaN). The masked form: GCC 12 flags _mm512_min_ps.
inline Vec min_lanes(const Vec& a, const Vec& b) {
#if defined(CPU_CAPABILITY_AVX512)
  return _mm512_mask_min_ps(a, static_cast<__mmask16>(0xFFFF), a, b);
#elif defined(CPU_CAPABILITY_AVX2)
  return _mm256_min_ps(a, b);
#else
  return at::vec::minimum(a, b);
#endif
}

// Bit l (l < NR) set where lane l of (a, b) is below w.
inline uint64_t below(const Vec& a, const Vec& b, float w) {
#if defined(CPU_CAPABILITY_AVX512)
  const __m512 wv = _mm512_set1_ps(w);
  return static_cast<uint64_t>(_mm512_cmp_ps_mask(a, wv, _CMP_LT_OQ)) |
         static_cast<uint64_t>(_mm512_cmp_ps_mask(b, wv, _CMP_LT_OQ)) << V;
#elif defined(CPU_CAPABILITY_AVX2)
  const __m256 wv = _mm256_set1_ps(w);
  return static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, wv, _CMP_LT_OQ))) |
         static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(b, wv, _CMP_LT_OQ))) << V;
#else
  float t[NR];
  a.store(t);
  b.store(t + V);
  uint64_t bits = 0;
  for (int64_t l = 0; l < NR; ++l) {
    bits |= static_cast<uint64_t>(t[l] < w) << l;
  }
  return bits;
#endif
}

// Bit l (l < NR) set where lane l of (a, b) is below w[l].
inline uint64_t below_each(const Vec& a, const Vec& b, const float* w) {
#if defined(CPU_CAPABILITY_AVX512)
  return static_cast<uint64_t>(_mm512_cmp_ps_mask(a, Vec::loadu(w), _CMP_LT_OQ)) |
         static_cast<uint64_t>(_mm512_cmp_ps_mask(b, Vec::loadu(w + V), _CMP_LT_OQ)) << V;
#elif defined(CPU_CAPABILITY_AVX2)
  return static_cast<uint64_t>(
             _mm256_movemask_ps(_mm256_cmp_ps(a, Vec::loadu(w), _CMP_LT_OQ))) |
         static_cast<uint64_t>(
             _mm256_movemask_ps(_mm256_cmp_ps(b, Vec::loadu(w + V), _CMP_LT_OQ)))
             << V;
#else
  float t[NR];
  a.store(t);
  b.store(t + V);
  uint64_t bits = 0;
  for (int64_t l = 0; l < NR; ++l) {
    bits |= static_cast<uint64_t>(t[l] < w[l]) << l;
  }
  return bits;
#endif
}

// The candidate lists of the queries: row i holds cnt[i] <= m (value, index) pairs sorted by
// value; worst[i] is the value a newcomer must beat (+inf until the list is full). The worst
// only decreases, so every value a row does not hold is >= its final worst, in any arrival
// order: the caller's exactness check rests on that.
struct Lists {
  float* cv;
  int64_t* ci;
  int64_t* cnt;
  float* worst;
  const int64_t* self;
  int64_t m;

  // Offers the lanes `bits` of the values v (references j0..j0 + NR) to row i, only indices
  // above `after`.
  void offer(int64_t i, const float* v, uint64_t bits, int64_t j0, int64_t after) {
    float* bv = cv + i * m;
    int64_t* bi = ci + i * m;
    int64_t n = cnt[i];
    float w = worst[i];
    const int64_t skip = self != nullptr ? self[i] - j0 : -1;
    for (; bits != 0; bits &= bits - 1) {
      const int64_t t = __builtin_ctzll(bits);
      if (!(v[t] < w) || t == skip || j0 + t <= after) {
        continue;
      }
      w = insert_candidate(bv, bi, n, m, v[t], j0 + t);
    }
    cnt[i] = n;
    worst[i] = w;
  }

  // Symmetric tiles: offers query row i0 + i (value qn_i − 2 acc) to the lists of the
  // references j0 + t, t in `bits` (acc: MR × NR dot products), for the pairs with i0 + i < j.
  // Rows are compared a vector at a time; only the lanes a row beats are visited.
  void offer_columns(const float* acc, const float* qn, int64_t i0, int64_t rows, int64_t j0,
                     uint64_t bits) {
    const Vec minus_two(-2.f);
    for (int64_t i = 0; i < rows; ++i) {
      const Vec n(qn[i]);
      const Vec v0 = at::vec::fmadd(Vec::loadu(acc + i * NR), minus_two, n);
      const Vec v1 = at::vec::fmadd(Vec::loadu(acc + i * NR + V), minus_two, n);
      // Lanes j0 + t <= i0 + i are pairs of the other orientation (or the row itself).
      const int64_t first = i0 + i - j0 + 1;
      const uint64_t after = first <= 0 ? ~uint64_t{0} : first >= NR ? 0 : ~uint64_t{0} << first;
      uint64_t b = below_each(v0, v1, worst + j0) & bits & after;
      if (b == 0) {
        continue;
      }
      float v[NR];
      v0.store(v);
      v1.store(v + V);
      for (; b != 0; b &= b - 1) {
        const int64_t t = __builtin_ctzll(b);
        const int64_t j = j0 + t;
        if (v[t] < worst[j]) {
          worst[j] = insert_candidate(cv + j * m, ci + j * m, cnt[j], m, v[t], i0 + i);
        }
      }
    }
  }
};

// acc (MR × NR) = q_i·r_j for MR query rows (q, row stride d) and one packed panel (d × NR),
// accumulated in registers over the d features (restrict: no store inside the loop).
void dot_tile(const float* __restrict__ q, int64_t d, const float* __restrict__ panel,
              float* __restrict__ acc) {
  Vec a[MR][2];
  for (int64_t i = 0; i < MR; ++i) {
    a[i][0] = Vec(0.f);
    a[i][1] = Vec(0.f);
  }
  for (int64_t f = 0; f < d; ++f) {
    const Vec b0 = Vec::loadu(panel + f * NR);
    const Vec b1 = Vec::loadu(panel + f * NR + V);
#pragma GCC unroll 16
    for (int64_t i = 0; i < MR; ++i) {
      const Vec x(q[i * d + f]);
      a[i][0] = at::vec::fmadd(x, b0, a[i][0]);
      a[i][1] = at::vec::fmadd(x, b1, a[i][1]);
    }
  }
#pragma GCC unroll 16
  for (int64_t i = 0; i < MR; ++i) {
    a[i][0].store(acc + i * NR);
    a[i][1].store(acc + i * NR + V);
  }
}

// One tile: v = ||r_j||² − 2 q_i·r_j for MR query rows (the first `rows` real) and the NR
// references of one panel (norms rn), offered to the lists only where some value beats the
// worst. kSymmetric (queries = references, qn their norms): row i takes only j > i and,
// transposed, reference j takes row i (one tile serves both pairs: half the work).
template <bool kSymmetric>
void tile(const float* q, const float* qn, int64_t d, const float* panel, const float* rn,
          int64_t i0, int64_t rows, int64_t j0, Lists& lists) {
  alignas(64) float acc[MR * NR];
  dot_tile(q, d, panel, acc);
  const Vec r0 = Vec::loadu(rn), r1 = Vec::loadu(rn + V), minus_two(-2.f);
  for (int64_t i = 0; i < rows; ++i) {
    const Vec v0 = at::vec::fmadd(Vec::loadu(acc + i * NR), minus_two, r0);
    const Vec v1 = at::vec::fmadd(Vec::loadu(acc + i * NR + V), minus_two, r1);
    const uint64_t bits = below(v0, v1, lists.worst[i0 + i]);
    if (bits != 0) {
      float t[NR];
      v0.store(t);
      v1.store(t + V);
      lists.offer(i0 + i, t, bits, j0, kSymmetric ? i0 + i : -1);
    }
  }
  if (kSymmetric) {
    // Padded rows have an infinite norm; padded columns an infinitely small worst.
    Vec c0(std::numeric_limits<float>::infinity()), c1 = c0;
#pragma GCC unroll 16
    for (int64_t i = 0; i < MR; ++i) {
      const Vec n(qn[i]);
      c0 = min_lanes(c0, at::vec::fmadd(Vec::loadu(acc + i * NR), minus_two, n));
      c1 = min_lanes(c1, at::vec::fmadd(Vec::loadu(acc + i * NR + V), minus_two, n));
    }
    const uint64_t bits = below_each(c0, c1, lists.worst + j0);
    if (bits != 0) {
      lists.offer_columns(acc, qn, i0, rows, j0, bits);
    }
  }
}

// Panels of NR references, feature-major (panel p: d × NR floats), and their norms; lanes past
// the end hold zeros and an infinite norm, so their values never beat a worst.
void pack(const float* r, const float* rnorm, int64_t j0, int64_t cols, int64_t d, float* packed,
          float* rn) {
  const int64_t panels = (cols + NR - 1) / NR;
  for (int64_t p = 0; p < panels; ++p) {
    float* dst = packed + p * d * NR;
    for (int64_t t = 0; t < NR; ++t) {
      const int64_t j = p * NR + t;
      if (j < cols) {
        const float* src = r + (j0 + j) * d;
        for (int64_t f = 0; f < d; ++f) {
          dst[f * NR + t] = src[f];
        }
        rn[j] = rnorm[j0 + j];
      } else {
        for (int64_t f = 0; f < d; ++f) {
          dst[f * NR + t] = 0.f;
        }
        rn[j] = std::numeric_limits<float>::infinity();
      }
    }
  }
}

} // namespace

void knn_candidates_kernel(const at::Tensor& q, const at::Tensor& r, const at::Tensor& rnorm,
                           const at::Tensor& self, at::Tensor& cv, at::Tensor& ci,
                           at::Tensor& cnt, int64_t ref_block, bool symmetric) {
  const int64_t nq = q.size(0), nr = r.size(0), d = q.size(1), m = cv.size(1);
  const int64_t block = std::max<int64_t>(NR, (ref_block + NR - 1) / NR * NR);
  const int64_t tiles = (nq + MR - 1) / MR;
  // Symmetric column offers read the worst of padded references: -inf keeps them out.
  std::vector<float> worst(tiles * MR + block, -std::numeric_limits<float>::infinity());
  std::fill(worst.begin(), worst.begin() + nq, std::numeric_limits<float>::infinity());
  cnt.zero_();
  Lists lists{cv.data_ptr<float>(), ci.data_ptr<int64_t>(), cnt.data_ptr<int64_t>(),
              worst.data(), self.defined() ? self.data_ptr<int64_t>() : nullptr, m};
  const float* qp = q.data_ptr<float>();
  const float* rp = r.data_ptr<float>();
  const float* np = rnorm.data_ptr<float>();
  // The last, partial tile of queries reads zero-padded rows with infinite norms.
  std::vector<float> tail(MR * d, 0.f), tail_norm(MR, std::numeric_limits<float>::infinity());
  const int64_t tail_rows = nq - (tiles - 1) * MR;
  std::copy(qp + (tiles - 1) * MR * d, qp + nq * d, tail.begin());
  if (symmetric) {
    std::copy(np + (tiles - 1) * MR, np + nq, tail_norm.begin());
  }
  std::vector<float> packed(block * d), rn(block);
  for (int64_t j0 = 0; j0 < nr; j0 += block) {
    const int64_t cols = std::min(block, nr - j0);
    const int64_t panels = (cols + NR - 1) / NR;
    pack(rp, np, j0, cols, d, packed.data(), rn.data());
    const auto run = [&](int64_t t) {
      const int64_t i0 = t * MR;
      const bool last = t == tiles - 1;
      const float* rows_q = last ? tail.data() : qp + i0 * d;
      const float* rows_n = last ? tail_norm.data() : np + i0;
      const int64_t rows = last ? tail_rows : MR;
      for (int64_t p = 0; p < panels; ++p) {
        const int64_t c0 = j0 + p * NR;
        if (!symmetric) {
          tile<false>(rows_q, rows_n, d, packed.data() + p * d * NR, rn.data() + p * NR, i0,
                      rows, c0, lists);
        } else if (c0 + NR - 1 > i0) {
          tile<true>(rows_q, rows_n, d, packed.data() + p * d * NR, rn.data() + p * NR, i0,
                     rows, c0, lists);
        }
      }
    };
    if (symmetric) {
      // Column offers write other rows' lists: one thread, tiles above the block's last column.
      for (int64_t t = 0; t < tiles && t * MR < j0 + cols - 1; ++t) {
        run(t);
      }
    } else {
      at::parallel_for(0, tiles, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          run(t);
        }
      });
    }
  }
}

} // namespace CPU_CAPABILITY

#ifdef REBALANCE_DEFAULT_CAPABILITY
REBALANCE_CPU_DISPATCH_DECLARE(void, knn_candidates_kernel, const at::Tensor&, const at::Tensor&,
                               const at::Tensor&, const at::Tensor&, at::Tensor&, at::Tensor&,
                               at::Tensor&, int64_t, bool)

void knn_candidates_cpu(const at::Tensor& q, const at::Tensor& r, const at::Tensor& rnorm,
                        const at::Tensor& self, at::Tensor& cv, at::Tensor& ci, at::Tensor& cnt,
                        int64_t ref_block, bool symmetric) {
  if (q.size(0) == 0 || r.size(0) == 0) {
    cnt.zero_();
    return;
  }
  REBALANCE_CPU_DISPATCH_CALL(knn_candidates_kernel, q, r, rnorm, self, cv, ci, cnt, ref_block,
                              symmetric)
}
#endif

} // namespace cpu
} // namespace rebalance
