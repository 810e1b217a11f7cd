#pragma once

// Errors name the function the user called: a composite op that calls another op through the
// dispatcher renames that op's messages to its own.
#include <c10/util/Exception.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rebalance {

/// Rethrows `e` with the same type (ValueError, IndexError, TypeError or Error) and its message's
/// leading "inner" replaced by "outer" (or "outer: " prepended when it does not start so).
[[noreturn]] void rethrow_renamed(const c10::Error& e, const char* outer, const char* inner);

/// "a, b, c" of the first `limit` values, then ", ... (N in all)": messages that list classes
/// stay short (and cheap) with millions of classes.
std::string short_list(const std::vector<int64_t>& values, size_t limit = 20);

/// Runs f() under rethrow_renamed(outer, inner).
template <class F>
decltype(auto) with_errors_named(const char* outer, const char* inner, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const c10::Error& e) {
    rethrow_renamed(e, outer, inner);
  }
}

} // namespace rebalance
