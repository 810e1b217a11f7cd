#include "rebalance/warnings.h"

#include <c10/util/Exception.h>
#include <torch/library.h>

#include <deque>

namespace rebalance {
namespace {

constexpr size_t kKeptWarnings = 32;

std::deque<std::string>& kept() {
  thread_local std::deque<std::string> messages;
  return messages;
}

} // namespace

void warn(const std::string& message) {
  TORCH_WARN(message);
  auto& messages = kept();
  if (messages.size() == kKeptWarnings) messages.pop_front();
  messages.push_back(message);
}

std::vector<std::string> take_warnings() {
  auto& messages = kept();
  std::vector<std::string> out(messages.begin(), messages.end());
  messages.clear();
  return out;
}

} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def(torch::schema("take_warnings() -> str[]", c10::AliasAnalysisKind::CONSERVATIVE),
        &rebalance::take_warnings);
}
