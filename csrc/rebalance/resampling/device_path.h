#pragma once

#include <c10/core/Device.h>

namespace rebalance {
namespace resampling {

/// Whether the resampling ops take their device-agnostic path (ATen tensor ops only, every
/// tensor on `device`) instead of the fused CPU loops: always off the CPU, and on the CPU when
/// the environment holds REBALANCE_RESAMPLING_GENERIC=1 (read at each call), so that the path
/// the GPU takes can be tested, and compared with the CPU one, where no GPU exists.
bool use_generic_path(const c10::Device& device);

} // namespace resampling
} // namespace rebalance
