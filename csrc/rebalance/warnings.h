#pragma once

// Warnings written once, in C++. A C++ warning raised inside a torch.ops call or a torch.classes
// constructor reaches Python's stderr only (those bindings install no Python warning handler),
// so warn() also keeps the message, and the Python layer re-raises what a call kept as a
// UserWarning (rebalance/_warnings.py) instead of restating the check.
#include <string>
#include <vector>

namespace rebalance {

/// Emits `message` as a c10 warning and keeps it (per thread, the latest 32) for take_warnings().
void warn(const std::string& message);

/// The messages warn() kept on this thread since the last call, oldest first; clears them.
/// Also the op rebalance::take_warnings() -> str[].
std::vector<std::string> take_warnings();

} // namespace rebalance
