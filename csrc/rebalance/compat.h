#pragma once

// The standard-library vocabulary types LibTorch 2.x uses in operator signatures and options
// (std::optional, std::string_view, std::variant), spelled so that the same code also builds
// against LibTorch 1.13 (Debian 12's libtorch-dev), whose dispatcher expects c10's own types.
#include <torch/version.h>

#if TORCH_VERSION_MAJOR >= 2
#include <optional>
#include <string_view>
#include <variant>
#else
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>
#include <c10/util/variant.h>
#endif

namespace rebalance {

#if TORCH_VERSION_MAJOR >= 2
/// std::optional (c10::optional on LibTorch 1.x).
template <class T>
using optional = std::optional<T>;
using std::nullopt;
/// std::string_view (rebalance::string_view on LibTorch 1.x): the type of a schema's `str` argument.
using string_view = std::string_view;
/// std::variant (rebalance::variant on LibTorch 1.x), for LibTorch-style enum options.
template <class... T>
using variant = std::variant<T...>;
using std::get_if;
#else
using c10::nullopt;
using c10::optional;
using string_view = c10::string_view;
using c10::get_if;
using c10::variant;
#endif

} // namespace rebalance
