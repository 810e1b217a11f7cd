#pragma once

#include <cstdint>

namespace rebalance {
namespace sampling {

/// The seeded generator of an epoch plan: xoshiro256** (Blackman & Vigna 2018) whose state is
/// filled by splitmix64 from (seed, epoch), so a plan is a function of (seed, epoch) alone and is
/// identical on every platform and rank. bounded() is Lemire's (2019) multiply-shift with
/// rejection, exactly uniform.
class PlanGenerator {
 public:
  /// Seeds the stream of epoch `epoch` of run `seed`.
  PlanGenerator(uint64_t seed, uint64_t epoch) {
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL ^ (epoch + 1) * 0xD1B54A32D192ED03ULL;
    for (auto& word : state_) word = splitmix64(x);
  }

  /// 64 uniform random bits.
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform integer in [0, n); n >= 1.
  uint64_t bounded(uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<__uint128_t>(next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

} // namespace sampling
} // namespace rebalance
