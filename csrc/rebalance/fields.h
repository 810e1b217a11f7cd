#pragma once

// Options declared once. An options struct lists its fields as X(type, name, default, doc) and
// REBALANCE_OPTIONS_FIELDS turns that one list into LibTorch-style TORCH_ARG members and a
// visit_fields() that every consumer walks: archive save/load (write_fields/read_fields), the
// torch.classes constructor's arguments and defaults (plugin/bind.h), the Python keywords and
// docstrings (schema()) and repr(). Adding a field is one X(...) line.
#include "rebalance/compat.h"

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace torch {
namespace serialize {
class InputArchive;
class OutputArchive;
} // namespace serialize
} // namespace torch

#define REBALANCE_FIELD_MEMBER_(T, name, default_, doc) TORCH_ARG(T, name) = default_;
#define REBALANCE_FIELD_VISIT_(T, name, default_, doc) v(#name, self.name##_, doc);
#define REBALANCE_FIELD_TYPE_(T, name, default_, doc) , T

/// Declares the fields of LIST (a macro taking X and expanding X(type, name, default, doc) per
/// field) as TORCH_ARG members with their defaults, plus
///   template <class Self, class V> static void visit_fields(Self& self, V&& v)
/// calling v(name, member, doc) for each field in declaration order, and `field_types`, the
/// std::tuple of the field types (the binding's argument types).
#define REBALANCE_OPTIONS_FIELDS(LIST)                               \
  LIST(REBALANCE_FIELD_MEMBER_)                                      \
                                                                     \
 public:                                                             \
  using field_types = ::rebalance::fields::TupleOf<void LIST(REBALANCE_FIELD_TYPE_)>; \
  template <class Self, class V>                                     \
  static void visit_fields(Self& self, V&& v) {                      \
    LIST(REBALANCE_FIELD_VISIT_)                                     \
  }

/// REBALANCE_OPTIONS_FIELDS for a struct whose TORCH_ARG member `nested` (of type NESTED_T, itself
/// declared with REBALANCE_OPTIONS_FIELDS) comes first: its fields are visited, in order, before
/// those of LIST, as one flat list (AdaptiveSamplerOptions around SamplingPolicyOptions).
#define REBALANCE_OPTIONS_FIELDS_AFTER(NESTED_T, nested, LIST)                               \
  LIST(REBALANCE_FIELD_MEMBER_)                                                              \
                                                                                             \
 public:                                                                                     \
  using field_types = decltype(std::tuple_cat(                                               \
      std::declval<typename NESTED_T::field_types>(),                                        \
      std::declval<::rebalance::fields::TupleOf<void LIST(REBALANCE_FIELD_TYPE_)>>()));      \
  template <class Self, class V>                                                             \
  static void visit_fields(Self& self, V&& v) {                                              \
    NESTED_T::visit_fields(self.nested##_, v);                                               \
    LIST(REBALANCE_FIELD_VISIT_)                                                             \
  }

namespace rebalance {
namespace fields {

/// std::tuple<Ts...> of TupleOf<void, Ts...> (the macro's leading void absorbs the first comma).
template <class Void, class... Ts>
struct TupleOfImpl {
  using type = std::tuple<Ts...>;
};
template <class... Ts>
using TupleOf = typename TupleOfImpl<Ts...>::type;

/// The field types an options struct may use: IValue conversion (archive), the argument type
/// of the torch.classes constructor (Binding, the field type itself unless said otherwise), the
/// TorchScript type name (schema), the Python-literal form (repr, schema defaults) and the
/// "key=value" text form (PhaseOptions specs).
template <class T>
struct Type;

/// The constructor argument type of a field of type T and its conversions.
template <class T>
struct Binding {
  using type = T;
  static T from(T v) { return v; }
  static c10::IValue default_of(const T& v) { return Type<T>::to_ivalue(v); }
};

/// Integer lists are `Tensor?` arguments (None: empty), as torch tensors are what callers hold.
template <>
struct Binding<std::vector<int64_t>> {
  using type = rebalance::optional<at::Tensor>;
  /// The values of an integer tensor (any shape, flattened); TypeError "options: <...>" for
  /// another dtype.
  static std::vector<int64_t> from(const type& t);
  static c10::IValue default_of(const std::vector<int64_t>& v);
};

template <>
struct Type<double> {
  static const char* name() { return "float"; }
  static c10::IValue to_ivalue(double v) { return v; }
  static double from_ivalue(const c10::IValue& v);
  static std::string repr(double v);
  static std::string text(double v);
  static double parse(const std::string& s);
};

template <>
struct Type<int64_t> {
  static const char* name() { return "int"; }
  static c10::IValue to_ivalue(int64_t v) { return v; }
  static int64_t from_ivalue(const c10::IValue& v) { return v.toInt(); }
  static std::string repr(int64_t v) { return std::to_string(v); }
  static std::string text(int64_t v) { return std::to_string(v); }
  static int64_t parse(const std::string& s);
};

template <>
struct Type<bool> {
  static const char* name() { return "bool"; }
  static c10::IValue to_ivalue(bool v) { return v; }
  static bool from_ivalue(const c10::IValue& v) { return v.toBool(); }
  static std::string repr(bool v) { return v ? "True" : "False"; }
  static std::string text(bool v) { return v ? "1" : "0"; }
  static bool parse(const std::string& s);
};

template <>
struct Type<std::string> {
  static const char* name() { return "str"; }
  static c10::IValue to_ivalue(const std::string& v) { return v; }
  static std::string from_ivalue(const c10::IValue& v) { return v.toStringRef(); }
  static std::string repr(const std::string& v) { return "'" + v + "'"; }
  static std::string text(const std::string& v) { return v; }
  static std::string parse(const std::string& s) { return s; }
};

template <>
struct Type<rebalance::optional<int64_t>> {
  static const char* name() { return "Optional[int]"; }
  static c10::IValue to_ivalue(const rebalance::optional<int64_t>& v) {
    return v.has_value() ? c10::IValue(*v) : c10::IValue();
  }
  static rebalance::optional<int64_t> from_ivalue(const c10::IValue& v);
  static std::string repr(const rebalance::optional<int64_t>& v) {
    return v.has_value() ? std::to_string(*v) : "None";
  }
};

template <>
struct Type<std::vector<int64_t>> {
  static const char* name() { return "List[int]"; }
  static c10::IValue to_ivalue(const std::vector<int64_t>& v) { return v; }
  static std::vector<int64_t> from_ivalue(const c10::IValue& v) { return v.toIntVector(); }
  static std::string repr(const std::vector<int64_t>& v);
};

/// One field of an options struct as the binding and Python see it.
struct FieldSchema {
  std::string name;          ///< Keyword name.
  std::string type;          ///< TorchScript type: float, int, bool, str, Optional[int], List[int].
  std::string default_repr;  ///< The C++ default as a Python literal.
  std::string doc;           ///< One line of documentation.
};

/// The fields of Options in declaration order, with the defaults of Options{}.
template <class Options>
std::vector<FieldSchema> schema(const Options& defaults = Options{}) {
  std::vector<FieldSchema> out;
  Options::visit_fields(defaults, [&](const char* name, const auto& value, const char* doc) {
    using T = std::decay_t<decltype(value)>;
    out.push_back({name, Type<T>::name(), Type<T>::repr(value), doc});
  });
  return out;
}

/// "name=value, ..." of every field (the body of a repr).
template <class Options>
std::string repr(const Options& options) {
  std::string out;
  Options::visit_fields(options, [&](const char* name, const auto& value, const char*) {
    using T = std::decay_t<decltype(value)>;
    out += (out.empty() ? "" : ", ") + std::string(name) + "=" + Type<T>::repr(value);
  });
  return out;
}

/// Sets every field from `values` (in order).
template <class Options>
Options from_values(const std::vector<c10::IValue>& values, Options options = Options{}) {
  size_t i = 0;
  Options::visit_fields(options, [&](const char*, auto& member, const char*) {
    member = Type<std::decay_t<decltype(member)>>::from_ivalue(values.at(i++));
  });
  return options;
}

/// Writes every field as the archive entry of its name.
void write_value(torch::serialize::OutputArchive& archive, const std::string& key,
                 const c10::IValue& value);
/// Whether the archive has the entry `key`, then read into `value`.
bool try_read_value(torch::serialize::InputArchive& archive, const std::string& key,
                    c10::IValue& value);

/// Writes every field of `options` as the archive entry of its name.
template <class Options>
void write_fields(torch::serialize::OutputArchive& archive, const Options& options) {
  Options::visit_fields(options, [&](const char* name, const auto& value, const char*) {
    write_value(archive, name, Type<std::decay_t<decltype(value)>>::to_ivalue(value));
  });
}

/// Reads every field of `options` from the archive entry of its name. A field without an entry
/// (a state saved before the field was added) keeps the value it has (its default).
template <class Options>
void read_fields(torch::serialize::InputArchive& archive, Options& options) {
  Options::visit_fields(options, [&](const char* name, auto& member, const char*) {
    c10::IValue value;
    if (try_read_value(archive, name, value)) {
      member = Type<std::decay_t<decltype(member)>>::from_ivalue(value);
    }
  });
}

/// "key=value;..." of every field (exact: doubles in round-trip form).
template <class Options>
std::string to_text(const Options& options) {
  std::string out;
  Options::visit_fields(options, [&](const char* name, const auto& value, const char*) {
    out += (out.empty() ? "" : ";") + std::string(name) + "=" +
           Type<std::decay_t<decltype(value)>>::text(value);
  });
  return out;
}

/// Sets the field named `key` of `options` from its text form; false when there is none.
template <class Options>
bool parse_field(Options& options, const std::string& key, const std::string& text) {
  bool found = false;
  Options::visit_fields(options, [&](const char* name, auto& member, const char*) {
    if (!found && key == name) {
      member = Type<std::decay_t<decltype(member)>>::parse(text);
      found = true;
    }
  });
  return found;
}

} // namespace fields
} // namespace rebalance
