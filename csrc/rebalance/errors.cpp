#include "rebalance/errors.h"

#include <string>

namespace rebalance {

std::string short_list(const std::vector<int64_t>& values, size_t limit) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < limit; ++i) {
    out += (i ? ", " : "") + std::to_string(values[i]);
  }
  if (values.size() > limit) out += ", ... (" + std::to_string(values.size()) + " in all)";
  return out;
}

void rethrow_renamed(const c10::Error& e, const char* outer, const char* inner) {
  std::string msg = e.what_without_backtrace();
  const std::string prefix = inner;
  msg = msg.compare(0, prefix.size(), prefix) == 0 ? outer + msg.substr(prefix.size())
                                                   : std::string(outer) + ": " + msg;
  if (dynamic_cast<const c10::IndexError*>(&e) != nullptr) TORCH_CHECK_INDEX(false, msg);
  if (dynamic_cast<const c10::TypeError*>(&e) != nullptr) TORCH_CHECK_TYPE(false, msg);
  if (dynamic_cast<const c10::ValueError*>(&e) != nullptr) TORCH_CHECK_VALUE(false, msg);
  TORCH_CHECK(false, msg);
}

} // namespace rebalance
