#include "rebalance/fields.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>

namespace rebalance {
namespace fields {

double Type<double>::from_ivalue(const c10::IValue& v) {
  TORCH_CHECK_TYPE(v.isDouble() || v.isInt(), "expected a float, got ", v.tagKind());
  return v.isDouble() ? v.toDouble() : static_cast<double>(v.toInt());
}

std::string Type<double>::repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", v);
  return s.find_first_of(".e") == std::string::npos ? s + ".0" : s;
}

std::string Type<double>::text(double v) { return fmt::format("{}", v); }

double Type<double>::parse(const std::string& s) { return std::stod(s); }

int64_t Type<int64_t>::parse(const std::string& s) { return std::stoll(s); }

bool Type<bool>::parse(const std::string& s) { return std::stoll(s) != 0; }

rebalance::optional<int64_t> Type<rebalance::optional<int64_t>>::from_ivalue(
    const c10::IValue& v) {
  if (v.isNone()) return rebalance::nullopt;
  return v.toInt();
}

std::string Type<std::vector<int64_t>>::repr(const std::vector<int64_t>& v) {
  return fmt::format("[{}]", fmt::join(v, ", "));
}

std::vector<int64_t> Binding<std::vector<int64_t>>::from(const type& t) {
  if (!t.has_value() || !t->defined()) return {};
  TORCH_CHECK_TYPE(at::isIntegralType(t->scalar_type(), /*includeBool=*/false),
                   "options: an integer list must be an integer tensor, got ", t->scalar_type());
  const at::Tensor c = t->to(at::kCPU, at::kLong).contiguous().view(-1);
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

c10::IValue Binding<std::vector<int64_t>>::default_of(const std::vector<int64_t>& v) {
  return v.empty() ? c10::IValue() : c10::IValue(at::tensor(v, at::kLong));
}

void write_value(torch::serialize::OutputArchive& archive, const std::string& key,
                 const c10::IValue& value) {
  archive.write(key, value);
}

bool try_read_value(torch::serialize::InputArchive& archive, const std::string& key,
                    c10::IValue& value) {
  return archive.try_read(key, value);
}

} // namespace fields
} // namespace rebalance
