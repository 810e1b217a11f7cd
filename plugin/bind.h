#pragma once

// The one adapter that exposes a plain stateful class of csrc/ (AdaptiveSampler,
// DynamicClassWeights, PhaseScheduler, ClassMetrics) to torch.classes.rebalance: a holder,
// a constructor whose keyword arguments and defaults come from an options struct's field list,
// forwarded methods, persistence (state bytes, pickle) through Checkpointable, repr and the
// options schema that the Python classes read.
#include "rebalance/checkpoint.h"
#include "rebalance/errors.h"
#include "rebalance/fields.h"

#include <torch/custom_class.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rebalance {
namespace bind {

/// The torch.classes object: a CustomClassHolder around a plain T.
template <class T>
struct Bound : torch::CustomClassHolder {
  explicit Bound(T v) : value(std::move(v)) {}
  T value;
};

template <class T>
using Ptr = c10::intrusive_ptr<Bound<T>>;

template <auto F, class Signature = decltype(F)>
struct Forward;

template <auto F, class T, class R, class... A>
struct Forward<F, R (T::*)(A...)> {
  static std::decay_t<R> call(const Ptr<T>& self, A... a) {
    return (self->value.*F)(std::forward<A>(a)...);
  }
};

template <auto F, class T, class R, class... A>
struct Forward<F, R (T::*)(A...) const> {
  static std::decay_t<R> call(const Ptr<T>& self, A... a) {
    return (self->value.*F)(std::forward<A>(a)...);
  }
};

/// The member function F of T as a torch.classes method: `.def("epoch", method<&T::epoch>())`.
template <auto F>
constexpr auto method() {
  return &Forward<F>::call;
}

/// The schema of an options struct as (name, type, default as a Python literal, doc) tuples.
using SchemaRows = std::vector<std::tuple<std::string, std::string, std::string, std::string>>;

template <class Options>
SchemaRows schema_rows() {
  SchemaRows rows;
  for (const auto& f : fields::schema<Options>()) {
    rows.emplace_back(f.name, f.type, f.default_repr, f.doc);
  }
  return rows;
}

template <class T, class Make, class Fixed, class Fields>
struct Init;

/// The constructor (Fixed..., one argument per field of Options): Make()(fixed..., options).
template <class T, class Make, class... Fixed, class... Fs>
struct Init<T, Make, std::tuple<Fixed...>, std::tuple<Fs...>> {
  static Ptr<T> make(Fixed... fixed, typename fields::Binding<Fs>::type... fs) {
    using Options = typename Make::Options;
    const auto options = with_errors_named(T::kCheckpointName, "options", [&] {
      return fields::from_values<Options>(
          {fields::Type<Fs>::to_ivalue(fields::Binding<Fs>::from(std::move(fs)))...});
    });
    return c10::make_intrusive<Bound<T>>(Make()(std::move(fixed)..., options));
  }

  /// torch::arg of every argument: the fixed names (no default), then each field with the
  /// default of Options{}.
  template <size_t... I>
  static void define(torch::class_<Bound<T>>& cls, const std::vector<torch::arg>& args,
                     const std::string& doc, std::index_sequence<I...>) {
    cls.def(torch::init(&make), doc, {args[I]...});
  }
};

/// The default Make of def_init: T(fixed..., options).
template <class T, class... Fixed>
struct Construct {
  using Options = typename T::Options;
  T operator()(Fixed... fixed, Options options) const {
    return T(std::move(fixed)..., std::move(options));
  }
};

/// Registers the constructor `Make()(Fixed..., Options)` with the keyword arguments `fixed`
/// (torch::arg, with or without a default) followed by the fields of Make::Options with their
/// C++ defaults, and the static method options_schema().
template <class T, class Make, class... Fixed>
void def_init_with(torch::class_<Bound<T>>& cls, std::vector<torch::arg> args,
                   const std::string& doc) {
  using Options = typename Make::Options;
  using I = Init<T, Make, std::tuple<Fixed...>, typename Options::field_types>;
  const Options defaults;
  Options::visit_fields(defaults, [&](const char* name, const auto& value, const char*) {
    torch::arg a(name);
    a = fields::Binding<std::decay_t<decltype(value)>>::default_of(value);
    args.push_back(std::move(a));
  });
  I::define(cls, args, doc,
            std::make_index_sequence<sizeof...(Fixed) + std::tuple_size<
                                                             typename Options::field_types>::value>());
  cls.def_static("options_schema", [] { return schema_rows<Options>(); });
}

/// def_init_with for the constructor T(Fixed..., T::Options).
template <class T, class... Fixed>
void def_init(torch::class_<Bound<T>>& cls, std::vector<torch::arg> args, const std::string& doc) {
  def_init_with<T, Construct<T, Fixed...>, Fixed...>(cls, std::move(args), doc);
}

/// Registers state persistence through Checkpointable: state_bytes/load_state_bytes (and the
/// names in `aliases`, e.g. {"state", "load_state"}) return and load the framed uint8 state,
/// pickling goes through the same bytes, and `__repr__` calls T::repr().
template <class T>
void def_state(torch::class_<Bound<T>>& cls,
               const std::pair<std::string, std::string>& aliases = {}) {
  for (const auto& names : {std::make_pair(std::string("state_bytes"),
                                           std::string("load_state_bytes")),
                            aliases}) {
    if (names.first.empty()) continue;
    cls.def(names.first, [](const Ptr<T>& self) { return self->value.state_bytes(); })
        .def(names.second, [](const Ptr<T>& self, const at::Tensor& bytes) {
          self->value.load_state_bytes(bytes);
        });
  }
  cls.def("__repr__", [](const Ptr<T>& self) { return self->value.repr(); })
      .def_pickle([](const Ptr<T>& self) { return self->value.state_bytes(); },
                  [](c10::IValue state) {
                    return c10::make_intrusive<Bound<T>>(T::from_state_bytes(
                        checkpoint::pickled_bytes(T::kCheckpointName, std::move(state))));
                  });
}

} // namespace bind
} // namespace rebalance
