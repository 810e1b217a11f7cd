#include "rebalance/weighting/class_weights.h"

#include "rebalance/errors.h"
#include "rebalance/warnings.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <string>
#include <torch/library.h>

namespace rebalance {

const std::vector<std::string>& class_weight_methods() {
  static const std::vector<std::string> methods = {
      "inverse", "inverse_power", "effective_number", "median_frequency", "cost", "cluster"};
  return methods;
}

at::Tensor class_weights(const at::Tensor& counts, rebalance::string_view method, double power,
                         double beta, const rebalance::optional<at::Tensor>& cost_matrix,
                         const rebalance::optional<at::Tensor>& clusters_per_class, bool normalize) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("rebalance::class_weights", "")
                       .typed<decltype(class_weights)>();
  return op.call(counts, method, power, beta, cost_matrix, clusters_per_class, normalize);
}

namespace detail {

at::ScalarType weight_dtype(const at::Tensor& counts) {
  return at::isFloatingType(counts.scalar_type())
             ? counts.scalar_type()
             : c10::typeMetaToScalarType(at::get_default_dtype());
}

at::Tensor checked_per_class(const char* op, const char* what, const at::Tensor& values,
                             int64_t num_classes) {
  const auto type = values.scalar_type();
  TORCH_CHECK_TYPE(at::isFloatingType(type) || (at::isIntegralType(type, false)), op, ": ", what,
                   " must be an integer or floating-point tensor, got ", type);
  TORCH_CHECK_VALUE(values.dim() == 1 && values.numel() >= 1 &&
                        (num_classes < 0 || values.numel() == num_classes),
                    op, ": ", what, " must be 1-D with ",
                    num_classes < 0 ? std::string("C >= 1") : std::to_string(num_classes),
                    " entries, got shape ", values.sizes());
  const at::Tensor v = values.detach().to(at::kCPU, at::kDouble).contiguous();
  TORCH_CHECK_VALUE(v.isfinite().all().item<bool>(), op, ": ", what,
                    " must be finite, got NaN or inf");
  TORCH_CHECK_VALUE(v.ge(0).all().item<bool>(), op, ": ", what,
                    " must be non-negative, got minimum ", v.min().item<double>());
  return v;
}

namespace {

double median_of_positive(const at::Tensor& n) {
  const at::Tensor sorted = std::get<0>(n.masked_select(n > 0).sort());
  const int64_t k = sorted.numel();
  const double* s = sorted.data_ptr<double>();
  return k % 2 == 1 ? s[k / 2] : 0.5 * (s[k / 2 - 1] + s[k / 2]);
}

} // namespace

at::Tensor class_weights_impl(const at::Tensor& counts, rebalance::string_view method, double power,
                              double beta, const rebalance::optional<at::Tensor>& cost_matrix,
                              const rebalance::optional<at::Tensor>& clusters_per_class,
                              bool normalize) {
  constexpr const char* op = "class_weights";
  const at::Tensor n = checked_per_class(op, "counts", counts, -1);
  const int64_t C = n.numel();
  const at::Tensor present = n > 0;
  TORCH_CHECK_VALUE(present.any().item<bool>(), op, ": every class has count 0");
  const at::Tensor safe_n = at::where(present, n, at::ones_like(n));

  at::Tensor raw;
  if (method == "inverse") {
    raw = 1.0 / safe_n;
  } else if (method == "inverse_power") {
    TORCH_CHECK_VALUE(std::isfinite(power) && power >= 0, op,
                      ": power must be finite and >= 0, got ", power);
    raw = safe_n.pow(-power);
  } else if (method == "effective_number") {
    TORCH_CHECK_VALUE(beta >= 0 && beta < 1, op, ": beta must be in [0, 1), got ", beta);
    raw = (1.0 - beta) / (1.0 - at::pow(beta, safe_n));
  } else if (method == "median_frequency") {
    raw = median_of_positive(n) / safe_n;
  } else if (method == "cost") {
    TORCH_CHECK_VALUE(cost_matrix.has_value() && cost_matrix->defined(), op,
                      ": method \"cost\" needs cost_matrix (C × C)");
    TORCH_CHECK_VALUE(cost_matrix->dim() == 2 && cost_matrix->size(0) == C &&
                          cost_matrix->size(1) == C,
                      op, ": cost_matrix must be ", C, " × ", C, ", got shape ",
                      cost_matrix->sizes());
    const at::Tensor m = checked_per_class(op, "cost_matrix", cost_matrix->reshape({-1}), C * C)
                             .view({C, C});
    raw = m.sum(1) - m.diagonal();
  } else if (method == "cluster") {
    TORCH_CHECK_VALUE(clusters_per_class.has_value() && clusters_per_class->defined(), op,
                      ": method \"cluster\" needs clusters_per_class (C,)");
    raw = checked_per_class(op, "clusters_per_class", *clusters_per_class, C) / safe_n;
  } else {
    TORCH_CHECK_VALUE(false, op, ": method must be one of \"inverse\", \"inverse_power\", ",
                      "\"effective_number\", \"median_frequency\", \"cost\", \"cluster\"; got \"",
                      std::string(method), "\"");
  }
  raw = at::where(present, raw, at::zeros_like(raw));
  if (!present.all().item<bool>()) {
    const at::Tensor idx = at::nonzero(~present).view({-1}).contiguous();
    const int64_t* first = idx.data_ptr<int64_t>();
    warn(c10::str(op, ": classes [", short_list(std::vector<int64_t>(first, first + idx.numel())),
                  "] have count 0; their weight is 0"));
  }
  const double total = raw.sum().item<double>();
  TORCH_CHECK_VALUE(std::isfinite(total) && total > 0, op, ": method \"", std::string(method),
                    "\" gives weight 0 to every class (sum ", total, ")");
  if (normalize) raw = raw * (static_cast<double>(C) / total);
  const auto dtype = weight_dtype(counts);
  const at::Tensor out = raw.to(counts.device(), dtype);
  TORCH_CHECK_VALUE(out.isfinite().all().item<bool>(), op, ": the weights (up to ",
                    raw.max().item<double>(), ") overflow ", dtype,
                    "; pass counts in a wider dtype or normalize=True");
  return out;
}

namespace {

/// Fake (Meta) kernel of class_weights: (C,) in the counts' floating dtype (the default dtype for
/// integer counts) on their device.
at::Tensor class_weights_meta(const at::Tensor& counts, rebalance::string_view method,
                              double power, double beta,
                              const rebalance::optional<at::Tensor>& cost_matrix,
                              const rebalance::optional<at::Tensor>& clusters_per_class,
                              bool normalize) {
  TORCH_CHECK_VALUE(counts.dim() == 1, "class_weights: counts must be 1-D, got ", counts.dim(),
                    " dimensions");
  return at::empty_symint({counts.sym_numel()}, counts.options().dtype(weight_dtype(counts)));
}

} // namespace
} // namespace detail
} // namespace rebalance

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("class_weights(Tensor counts, str method, float power=0.5, float beta=0.999, "
        "Tensor? cost_matrix=None, Tensor? clusters_per_class=None, bool normalize=True) "
        "-> Tensor");
}

// Weights are statistics of the counts (no gradient flows to them): one kernel for every
// backend, and a Meta kernel for tracing.
TORCH_LIBRARY_IMPL(rebalance, CompositeExplicitAutograd, m) {
  m.impl("class_weights", &rebalance::detail::class_weights_impl);
}

TORCH_LIBRARY_IMPL(rebalance, Meta, m) {
  m.impl("class_weights", &rebalance::detail::class_weights_meta);
}
