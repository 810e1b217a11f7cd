#pragma once

// Bounds on the sizes a user controls (labels, class counts, budgets, counts, k, ...): every
// op and class checks them here, in overflow-safe arithmetic, before it allocates.
#include <cstdint>

namespace rebalance {

/// Most classes any op or class accepts (2^24 = 16,777,216): a label must be below it, so the
/// per-class vectors a label can make an op allocate stay small.
constexpr int64_t kMaxClasses = int64_t{1} << 24;

/// a + b; ValueError "op: what overflows int64 (a + b)" when it does not fit.
int64_t checked_add(const char* op, const char* what, int64_t a, int64_t b);

/// a · b (a, b >= 0); ValueError "op: what overflows int64 (a × b)" when it does not fit.
int64_t checked_mul(const char* op, const char* what, int64_t a, int64_t b);

/// Bytes this process can allocate at most: the smallest of the physical memory and the
/// address-space and data-segment limits (RLIMIT_AS, RLIMIT_DATA).
int64_t allocatable_bytes();

/// Checks that `count` items of `item_bytes` bytes each (count >= 0) can be allocated:
/// ValueError "op: what needs N bytes (count × item_bytes), more than the M bytes this process
/// can allocate" otherwise, also when the product overflows.
void check_allocation(const char* op, const char* what, int64_t count, int64_t item_bytes);

/// Checks 1 <= num_classes <= kMaxClasses, naming the argument `what`.
void check_num_classes(const char* op, const char* what, int64_t num_classes);

/// floor(v) clamped to [lo, hi] without undefined conversions (v may be ±inf; NaN gives lo).
int64_t clamped_floor(double v, int64_t lo, int64_t hi);

} // namespace rebalance
