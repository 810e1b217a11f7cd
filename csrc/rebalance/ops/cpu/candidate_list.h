#pragma once

#include <cstdint>
#include <limits>

namespace rebalance {
namespace cpu {
// Internal linkage: this header is included by kernels compiled once per instruction set, and
// a shared inline definition could be resolved to a build the CPU does not run.
namespace {

/// Inserts (x, idx) into a candidate list of at most m (value, index) pairs sorted by value and
/// n long (when full the last entry drops out); returns the value a new entry must now beat
/// (+inf while the list is not full).
template <typename T>
inline T insert_candidate(T* values, int64_t* indices, int64_t& n, int64_t m, T x, int64_t idx) {
  int64_t p = n < m ? n : m - 1;
  while (p > 0 && values[p - 1] > x) {
    values[p] = values[p - 1];
    indices[p] = indices[p - 1];
    --p;
  }
  values[p] = x;
  indices[p] = idx;
  n += n < m ? 1 : 0;
  return n == m ? values[m - 1] : std::numeric_limits<T>::infinity();
}

} // namespace
} // namespace cpu
} // namespace rebalance
