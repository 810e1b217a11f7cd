#pragma once

#include "rebalance/bounds.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace rebalance {
namespace resampling {

/// Default working-set budget of the blocked distance computations, in bytes (64 MiB).
constexpr int64_t kDefaultMemoryBudget = int64_t{64} << 20;

/// Checks a feature matrix: 2-D, floating point, every value finite. `op` names the caller.
void check_features(const char* op, const at::Tensor& x);

/// Checks labels against features x (n × d): 1-D integer tensor of length n, values >= 0
/// and < num_classes when num_classes > 0 (< kMaxClasses otherwise). Returns the labels as
/// int64 on the CPU.
at::Tensor check_labels(const char* op, const at::Tensor& x, const at::Tensor& y,
                        int64_t num_classes = -1);

/// Per-class sample counts of int64 CPU labels y; the size is max(y) + 1 (or num_classes when
/// it is positive; 0 for an empty y).
std::vector<int64_t> class_counts(const at::Tensor& y, int64_t num_classes = -1);

/// Indices (int64, ascending) of the samples of each class, for CPU int64 labels y.
std::vector<std::vector<int64_t>> class_members(const at::Tensor& y, int64_t num_classes);

/// Builds an int64 CPU tensor from a vector.
at::Tensor to_tensor(const std::vector<int64_t>& v);

/// Checks a positive neighbour count: 1 <= k, naming the argument `what`.
void check_neighbors(const char* op, const char* what, int64_t k);

/// Checks the memory budget (bytes): must be positive.
void check_budget(const char* op, int64_t memory_budget);

/// How distances between rows of a and b (same dtype family) are computed so that squared
/// norms neither overflow nor underflow: in `dtype` (float32 for float32/16 and bfloat16 data
/// whose largest magnitude M has 4 d M² <= 2^100 and M² >= 2^-60, else float64), after scaling
/// every value by 2^exponent (exact; non-zero only for float64 data outside the float64
/// range with the same margins, 4 d M² <= 2^1000 and M² >= 2^-960).
struct DistanceScale {
  at::ScalarType dtype;
  int exponent;
};
DistanceScale distance_scale(const at::Tensor& a, const at::Tensor& b);

/// x in `s.dtype`, scaled by 2^s.exponent.
at::Tensor apply_scale(const at::Tensor& x, const DistanceScale& s);

} // namespace resampling
} // namespace rebalance
