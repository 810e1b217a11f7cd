#include "rebalance/bounds.h"

#include <c10/util/Exception.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rebalance {

int64_t checked_add(const char* op, const char* what, int64_t a, int64_t b) {
  int64_t out = 0;
  TORCH_CHECK_VALUE(!__builtin_add_overflow(a, b, &out), op, ": ", what, " overflows int64 (",
                    a, " + ", b, ")");
  return out;
}

int64_t checked_mul(const char* op, const char* what, int64_t a, int64_t b) {
  int64_t out = 0;
  TORCH_CHECK_VALUE(!__builtin_mul_overflow(a, b, &out), op, ": ", what, " overflows int64 (",
                    a, " × ", b, ")");
  return out;
}

int64_t allocatable_bytes() {
  constexpr auto kMax = std::numeric_limits<int64_t>::max();
  int64_t bytes = kMax;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0 && pages <= kMax / page) bytes = int64_t{pages} * page;
  for (const int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    rlimit limit{};
    if (getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < static_cast<rlim_t>(bytes)) {
      bytes = static_cast<int64_t>(limit.rlim_cur);
    }
  }
  return bytes;
}

void check_allocation(const char* op, const char* what, int64_t count, int64_t item_bytes) {
  TORCH_CHECK_VALUE(count >= 0, op, ": ", what, " must be >= 0, got ", count);
  int64_t bytes = 0;
  const bool overflow = __builtin_mul_overflow(count, item_bytes, &bytes);
  const int64_t limit = allocatable_bytes();
  TORCH_CHECK_VALUE(!overflow && bytes <= limit, op, ": ", what, " (", count,
                    ") needs more memory than the ", limit,
                    " bytes this process can allocate (", count, " × ", item_bytes, " bytes)");
}

void check_num_classes(const char* op, const char* what, int64_t num_classes) {
  TORCH_CHECK_VALUE(num_classes >= 1 && num_classes <= kMaxClasses, op, ": ", what,
                    " must be in [1, ", kMaxClasses, "], got ", num_classes);
}

int64_t clamped_floor(double v, int64_t lo, int64_t hi) {
  if (!(v >= static_cast<double>(lo))) return lo;
  // 2^63 is the first double above every int64; values from it on saturate.
  if (v >= static_cast<double>(hi) || v >= 9223372036854775808.0) return hi;
  return std::min(hi, std::max(lo, static_cast<int64_t>(std::floor(v))));
}

} // namespace rebalance
