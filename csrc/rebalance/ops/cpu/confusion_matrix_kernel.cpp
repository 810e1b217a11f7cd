#include "rebalance/ops/cpu/confusion_matrix_kernel.h"

#include "rebalance/ops/confusion_matrix.h"
#include "rebalance/ops/cpu/capability.h"

#include <torch/library.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace rebalance {
namespace cpu {
namespace CPU_CAPABILITY {
namespace {

/// Elements (or logit rows) per parallel block, and the matrix size above which the count runs
/// in one block (one partial matrix per thread would cost more memory than the batch).
constexpr int64_t kBlockGrain = 1 << 15;
constexpr int64_t kMaxPartialCells = 1 << 22;
/// Trailing positions handled together when logits are (N, C, d1, ...).
constexpr int64_t kStridedChunk = 2048;

template <typename T>
inline bool is_nan(T v) {
  return v != v;
}

/// Argmax of C logits with torch.argmax's rule: the first maximum wins, the first NaN beats all.
template <typename T>
int64_t scalar_argmax(const T* x, int64_t C) {
  using acc_t = at::opmath_type<T>;
  acc_t best = static_cast<acc_t>(x[0]);
  if (is_nan(best)) return 0;
  int64_t arg = 0;
  for (int64_t c = 1; c < C; ++c) {
    const acc_t v = static_cast<acc_t>(x[c]);
    if (!(v <= best)) {  // greater, or NaN
      if (is_nan(v)) return c;
      best = v;
      arg = c;
    }
  }
  return arg;
}

/// Vectorised argmax (same rule): a NaN-propagating max over the row, then the first lane that
/// equals it. Both passes read the row from L1.
template <typename T>
int64_t row_argmax(const T* x, int64_t C) {
  if constexpr (!std::is_same<T, float>::value && !std::is_same<T, double>::value) {
    return scalar_argmax(x, C);
  } else {
    using Vec = at::vec::Vectorized<T>;
    constexpr int64_t V = Vec::size();
    if (C < 2 * V) return scalar_argmax(x, C);
    Vec vmax = Vec::loadu(x);
    int64_t i = V;
    for (; i + V <= C; i += V) vmax = at::vec::maximum(vmax, Vec::loadu(x + i));
    T lanes[V];
    vmax.store(lanes);
    T m = lanes[0];
    for (int64_t k = 1; k < V; ++k) m = (is_nan(m) || m >= lanes[k]) && !is_nan(lanes[k]) ? m : lanes[k];
    for (int64_t k = i; k < C; ++k) m = (is_nan(m) || m >= x[k]) && !is_nan(x[k]) ? m : x[k];
    if (is_nan(m)) {
      for (int64_t k = 0; k < C; ++k) {
        if (is_nan(x[k])) return k;
      }
    }
    const Vec mv(m);
    constexpr int all = (1 << V) - 1;
    for (i = 0; i + V <= C; i += V) {
      const int equal = ~(Vec::loadu(x + i) == mv).zero_mask() & all;
      if (equal != 0) return i + __builtin_ctz(equal);
    }
    for (; i < C; ++i) {
      if (x[i] == m) return i;
    }
    return C - 1;  // unreachable: m is one of the elements
  }
}

/// Counts one (target, prediction) pair; false when either is out of range.
inline bool count_pair(int64_t t, int64_t p, int64_t C, int64_t ignore_index, int64_t* cm) {
  if (t == ignore_index) return true;
  if (static_cast<uint64_t>(t) >= static_cast<uint64_t>(C) ||
      static_cast<uint64_t>(p) >= static_cast<uint64_t>(C)) {
    return false;
  }
  ++cm[t * C + p];
  return true;
}

/// Runs body(begin, end, cm) over [0, work) in blocks, each block counting into its own
/// C × C matrix (block 0 into out); returns the smallest index body reported as bad, or -1.
template <typename Body>
int64_t blocked_count(int64_t work, int64_t C, at::Tensor& out, const Body& body) {
  int64_t blocks = std::min<int64_t>(at::get_num_threads(), (work + kBlockGrain - 1) / kBlockGrain);
  if (C * C > kMaxPartialCells || blocks < 1) blocks = 1;
  const int64_t per_block = (work + blocks - 1) / std::max<int64_t>(blocks, 1);
  std::vector<int64_t> partial((blocks - 1) * C * C, 0);
  std::vector<int64_t> bad(blocks, -1);
  int64_t* out_data = out.data_ptr<int64_t>();
  at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t* cm = b == 0 ? out_data : partial.data() + (b - 1) * C * C;
      const int64_t begin = b * per_block;
      const int64_t end = std::min(work, begin + per_block);
      if (begin < end) bad[b] = body(begin, end, cm);
    }
  });
  for (int64_t b = 1; b < blocks; ++b) {
    const int64_t* cm = partial.data() + (b - 1) * C * C;
    for (int64_t k = 0; k < C * C; ++k) out_data[k] += cm[k];
  }
  for (int64_t b : bad) {
    if (b >= 0) return b;
  }
  return -1;
}

template <typename T>
int64_t count_logits(const at::Tensor& logits, const int64_t* y, int64_t N, int64_t C, int64_t S,
                     int64_t ignore_index, at::Tensor& out) {
  const T* x = logits.data_ptr<T>();
  if (S == 1) {
    return blocked_count(N, C, out, [&](int64_t begin, int64_t end, int64_t* cm) -> int64_t {
      for (int64_t n = begin; n < end; ++n) {
        if (y[n] == ignore_index) continue;
        if (!count_pair(y[n], row_argmax(x + n * C, C), C, ignore_index, cm)) return n;
      }
      return -1;
    });
  }
  // (N, C, S): running maxima over c for a chunk of trailing positions, read row by row.
  using acc_t = at::opmath_type<T>;
  const int64_t chunks = (S + kStridedChunk - 1) / kStridedChunk;
  return blocked_count(N * chunks, C, out, [&](int64_t begin, int64_t end, int64_t* cm) -> int64_t {
    std::vector<acc_t> best(kStridedChunk);
    std::vector<int64_t> arg(kStridedChunk);
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / chunks, s0 = (u % chunks) * kStridedChunk;
      const int64_t len = std::min(kStridedChunk, S - s0);
      const T* base = x + n * C * S + s0;
      for (int64_t s = 0; s < len; ++s) {
        best[s] = static_cast<acc_t>(base[s]);
        arg[s] = 0;
      }
      for (int64_t c = 1; c < C; ++c) {
        const T* row = base + c * S;
        for (int64_t s = 0; s < len; ++s) {
          const acc_t v = static_cast<acc_t>(row[s]);
          if (!(v <= best[s]) && !is_nan(best[s])) {
            best[s] = v;
            arg[s] = c;
          }
        }
      }
      const int64_t* yt = y + n * S + s0;
      for (int64_t s = 0; s < len; ++s) {
        if (!count_pair(yt[s], arg[s], C, ignore_index, cm)) return n * S + s0 + s;
      }
    }
    return -1;
  });
}

int64_t count_predictions(const int64_t* p, const int64_t* y, int64_t numel, int64_t C,
                          int64_t ignore_index, at::Tensor& out) {
  return blocked_count(numel, C, out, [&](int64_t begin, int64_t end, int64_t* cm) -> int64_t {
    for (int64_t i = begin; i < end; ++i) {
      if (!count_pair(y[i], p[i], C, ignore_index, cm)) return i;
    }
    return -1;
  });
}

} // namespace

at::Tensor confusion_matrix_kernel(const at::Tensor& input, const at::Tensor& target_in,
                                   int64_t num_classes, int64_t ignore_index) {
  const bool logits = detail::check_confusion_matrix_args(input, target_in, num_classes);
  const int64_t C = num_classes;
  const at::Tensor target = target_in.contiguous();
  const at::Tensor x = input.contiguous();
  at::Tensor out = at::zeros({C, C}, target.options().dtype(at::kLong));
  const int64_t* y = target.data_ptr<int64_t>();
  int64_t bad = -1;
  if (logits) {
    const int64_t N = x.dim() == 1 ? 1 : x.size(0);
    const int64_t S = x.dim() <= 2 ? 1 : x.numel() / std::max<int64_t>(N * C, 1);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "confusion_matrix",
                                    [&] { bad = count_logits<scalar_t>(x, y, N, C, S, ignore_index, out); });
  } else {
    bad = count_predictions(x.data_ptr<int64_t>(), y, target.numel(), C, ignore_index, out);
  }
  if (bad >= 0) {
    const int64_t t = y[bad];
    TORCH_CHECK_INDEX(t >= 0 && t < C, "confusion_matrix: target must be in [0, ", C,
                      ") or ignore_index (", ignore_index, "), got ", t, " at flat index ", bad);
    TORCH_CHECK_INDEX(false, "confusion_matrix: predictions must be in [0, ", C, "), got ",
                      x.data_ptr<int64_t>()[bad], " at flat index ", bad);
  }
  return out;
}

} // namespace CPU_CAPABILITY

#ifdef REBALANCE_DEFAULT_CAPABILITY
REBALANCE_CPU_DISPATCH_DECLARE(at::Tensor, confusion_matrix_kernel, const at::Tensor&,
                               const at::Tensor&, int64_t, int64_t)

at::Tensor confusion_matrix_cpu(const at::Tensor& input, const at::Tensor& target,
                                int64_t num_classes, int64_t ignore_index) {
  REBALANCE_CPU_DISPATCH_CALL(confusion_matrix_kernel, input, target, num_classes, ignore_index)
}
#endif

} // namespace cpu
} // namespace rebalance

#ifdef REBALANCE_DEFAULT_CAPABILITY
TORCH_LIBRARY_IMPL(rebalance, CPU, m) {
  m.impl("confusion_matrix", &rebalance::cpu::confusion_matrix_cpu);
}
#endif
