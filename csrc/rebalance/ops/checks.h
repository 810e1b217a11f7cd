#pragma once

namespace rebalance {

/// Whether the operators run their data-dependent input checks: finite logits, targets in
/// range, finite non-negative class weights, in-range confusion-matrix pairs. Default true.
/// Shape, dtype and device checks always run (they read only metadata).
///
/// On the CPU these checks are fused into the kernels' pass over host memory and always run,
/// whatever this says. On CUDA each one needs the host to wait for the device (a status copy
/// per call), so with checks off a CUDA call enqueues its kernels and returns: NaN logits give
/// NaN, rows with an out-of-range target or pairs out of range are skipped, negative class
/// weights are used as given. While the current CUDA stream is being captured into a graph the
/// checks are skipped too (capture forbids the host copy).
/// Process-wide; set it before training, not concurrently with running operators.
bool checks_enabled();

/// Sets checks_enabled() to `enabled` and returns the previous value.
bool set_checks_enabled(bool enabled);

/// Sets checks_enabled() for a scope and restores the previous value on exit.
class ChecksGuard {
 public:
  /// Enables or disables the checks until destruction.
  explicit ChecksGuard(bool enabled) : previous_(set_checks_enabled(enabled)) {}
  ~ChecksGuard() { set_checks_enabled(previous_); }
  ChecksGuard(const ChecksGuard&) = delete;
  ChecksGuard& operator=(const ChecksGuard&) = delete;

 private:
  bool previous_;
};

} // namespace rebalance
