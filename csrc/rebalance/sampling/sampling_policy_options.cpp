#include "rebalance/sampling/sampling_policy_options.h"

#include <c10/util/Exception.h>

#include <array>
#include <utility>

namespace rebalance {
namespace sampling {
namespace {

const std::array<std::pair<const char*, PolicyKind>, 9> kNames = {{
    {"instance", PolicyKind::Instance},
    {"class_balanced", PolicyKind::ClassBalanced},
    {"power", PolicyKind::Power},
    {"progressive", PolicyKind::Progressive},
    {"undersample", PolicyKind::Undersample},
    {"oversample", PolicyKind::Oversample},
    {"f1_adaptive", PolicyKind::F1Adaptive},
    {"dynamic", PolicyKind::Dynamic},
    {"explicit", PolicyKind::Explicit},
}};

} // namespace

PolicyKind parse_policy_kind(const std::string& name) {
  for (const auto& entry : kNames) {
    if (name == entry.first) return entry.second;
  }
  TORCH_CHECK_VALUE(false, "AdaptiveSampler: unknown policy \"", name,
                    "\"; expected one of instance, class_balanced, power, progressive, "
                    "undersample, oversample, f1_adaptive, dynamic, explicit");
}

std::string policy_kind_name(PolicyKind kind) {
  for (const auto& entry : kNames) {
    if (kind == entry.second) return entry.first;
  }
  TORCH_CHECK_VALUE(false, "AdaptiveSampler: invalid PolicyKind ", static_cast<int>(kind));
}

} // namespace sampling
} // namespace rebalance
