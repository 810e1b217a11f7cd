#include "rebalance/schedule/phase_options.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include <sstream>

namespace rebalance {
namespace schedule {

std::string PhaseOptions::to_string() const {
  return fmt::format(
      "name={};sampling={};sampling_ratio={};weighting={};lr_factor={};head_only={};"
      "epochs={};steps={};patience={};min_delta={}",
      name(), sampling(), sampling_ratio(), weighting(), lr_factor(), head_only() ? 1 : 0,
      epochs(), steps(), patience(), min_delta());
}

PhaseOptions PhaseOptions::from_string(const std::string& text) {
  PhaseOptions phase;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ';')) {
    const auto eq = item.find('=');
    TORCH_CHECK_VALUE(eq != std::string::npos, "PhaseOptions: expected key=value, got '", item,
                      "'");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    try {
      if (key == "name") phase.name(value);
      else if (key == "sampling") phase.sampling(value);
      else if (key == "sampling_ratio") phase.sampling_ratio(std::stod(value));
      else if (key == "weighting") phase.weighting(value);
      else if (key == "lr_factor") phase.lr_factor(std::stod(value));
      else if (key == "head_only") phase.head_only(std::stoll(value) != 0);
      else if (key == "epochs") phase.epochs(std::stoll(value));
      else if (key == "steps") phase.steps(std::stoll(value));
      else if (key == "patience") phase.patience(std::stoll(value));
      else if (key == "min_delta") phase.min_delta(std::stod(value));
      else TORCH_CHECK_VALUE(false, "PhaseOptions: unknown key '", key, "'");
    } catch (const std::logic_error&) {
      TORCH_CHECK_VALUE(false, "PhaseOptions: bad value for ", key, ": '", value, "'");
    }
  }
  return phase;
}

} // namespace schedule
} // namespace rebalance
