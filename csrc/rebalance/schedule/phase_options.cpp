#include "rebalance/schedule/phase_options.h"

#include <c10/util/Exception.h>

#include <sstream>

namespace rebalance {
namespace schedule {

std::string PhaseOptions::to_string() const { return fields::to_text(*this); }

PhaseOptions PhaseOptions::from_string(const std::string& text) {
  PhaseOptions phase;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ';')) {
    const auto eq = item.find('=');
    TORCH_CHECK_VALUE(eq != std::string::npos, "PhaseOptions: expected key=value, got '", item,
                      "'");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    bool known = false;
    try {
      known = fields::parse_field(phase, key, value);
    } catch (const std::logic_error&) {
      TORCH_CHECK_VALUE(false, "PhaseOptions: bad value for ", key, ": '", value, "'");
    }
    TORCH_CHECK_VALUE(known, "PhaseOptions: unknown key '", key, "'");
  }
  return phase;
}

} // namespace schedule
} // namespace rebalance
